package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/internal/mlxvideoref"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// TestConvertMLXVideoLayout: --layout mlx-video writes exactly mlx-video's
// files, and every tensor has the name, shape and dtype that the issue's
// rules (internal/mlxvideoref, written independently of mapping's tables)
// give for the upstream tensor, with the bytes of the default layout.
func TestConvertMLXVideoLayout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "mv")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Layout: "mlx-video"})
	require.NoError(t, err)
	require.Equal(t, []string{
		"config.json", "configuration.json", "google", "google/umt5-xxl", "google/umt5-xxl/special_tokens_map.json",
		"model.safetensors", "t5_encoder.safetensors", "vae.safetensors", "wanconv-manifest.json",
	}, treeFiles(t, out))

	src := readRelease(t, tinyDir)
	got := map[mapping.Component]map[string]tensorData{
		mapping.ComponentDiT: readSafetensors(t, filepath.Join(out, layout.MLXVideo.DiTSingle())),
		mapping.ComponentT5:  readSafetensors(t, filepath.Join(out, layout.MLXVideo.T5)),
		mapping.ComponentVAE: readSafetensors(t, filepath.Join(out, layout.MLXVideo.VAE)),
	}
	def := filepath.Join(t.TempDir(), "default")
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: def})
	require.NoError(t, err)
	base := readConverted(t, def)
	wantDType := map[mapping.Component]tensor.DType{mapping.ComponentDiT: tensor.BF16, mapping.ComponentT5: tensor.BF16, mapping.ComponentVAE: tensor.F32}
	for _, c := range mapping.Components {
		require.Len(t, got[c], len(src[c]), c)
		for name, s := range src[c] {
			target := mlxvideoref.Name(string(c), name)
			o, ok := got[c][target]
			require.True(t, ok, "%s: %s (from %s) missing", c, target, name)
			require.Equal(t, mlxvideoref.Shape(string(c), name, s.info.Shape), o.info.Shape, target)
			require.Equal(t, wantDType[c], o.info.DType, target)
			want := base[c][mapping.TargetName(c, name)].data
			if len(s.info.Shape) == 5 && len(o.info.Shape) == 2 { // the flattened patch embedding: PyTorch order
				require.Equal(t, tensor.F32, s.info.DType)
				want = make([]byte, len(s.data)/2)
				castF32ToBF16(want, s.data)
			}
			require.Equal(t, want, o.data, "%s: bytes differ", target)
		}
	}
	for _, f := range []string{layout.MLXVideo.DiTSingle(), layout.MLXVideo.T5, layout.MLXVideo.VAE} {
		require.Equal(t, map[string]string{"format": "mlx"}, readMetadata(t, filepath.Join(out, f)), f)
	}

	raw, err := os.ReadFile(filepath.Join(out, "config.json"))
	require.NoError(t, err)
	var cfg map[string]any
	require.NoError(t, json.Unmarshal(raw, &cfg))
	// Every WanModelConfig field, each with the value the upstream configs
	// of the tiny release give (golden.json), in the dataclass's order.
	facts, err := os.ReadFile(golden.TinyFacts())
	require.NoError(t, err)
	wantCfg, err := mlxvideoref.TI2VConfig(facts)
	require.NoError(t, err)
	require.Equal(t, wantCfg, cfg)
	require.Equal(t, mlxvideoref.Fields, jsonKeyOrder(t, raw))
	m, err := layout.ReadManifest(filepath.Join(out, layout.Manifest))
	require.NoError(t, err)
	require.Equal(t, "mlx-video", m.Layout)

	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: filepath.Join(t.TempDir(), "x"), Layout: "diffusers"})
	requireInputError(t, err)
	require.ErrorContains(t, err, `--layout: unknown layout "diffusers" (want wanconv or mlx-video)`)
}

// jsonKeyOrder lists the top-level keys of a JSON object in file order.
func jsonKeyOrder(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

func readMetadata(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := safetensors.Open(path)
	require.NoError(t, err)
	defer f.Close()
	return f.Metadata()
}
