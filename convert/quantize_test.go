package convert

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// quantizeRef quantizes a source weight with package quant (itself checked
// byte for byte against mlx.core.quantize) as the converter should.
func quantizeRef(t *testing.T, src tensorData, out tensor.DType, p quant.Params) quant.Outputs {
	t.Helper()
	rows, cols := int(src.info.Shape[0]), int(src.info.Shape[1])
	nw, ns := p.Sizes(rows, cols, out)
	o := quant.Outputs{Words: make([]byte, nw), Scales: make([]byte, ns), Biases: make([]byte, ns)}
	require.NoError(t, quant.QuantizeRows(o, src.data, src.info.DType, out, rows, cols, p))
	return o
}

// requireQuantizedDiT checks a converted DiT (name → tensor) against the
// release: every quantizable Linear as its three parts with the bytes
// QuantizeRows gives, everything else exactly as the dense conversion.
func requireQuantizedDiT(t *testing.T, l mapping.Layout, got, dense map[string]tensorData, src map[string]tensorData, out tensor.DType, p quant.Params) {
	t.Helper()
	quantized := 0
	for name, s := range src {
		target := mapping.TargetNameLayout(l, mapping.ComponentDiT, name)
		if !mapping.QuantizableDiTLayout(l, target) {
			require.Equal(t, dense[target], got[target], target)
			continue
		}
		quantized++
		rows, cols := s.info.Shape[0], s.info.Shape[1]
		ref := quantizeRef(t, s, out, p)
		stem := strings.TrimSuffix(target, ".weight")
		for _, part := range []struct {
			name  string
			dtype tensor.DType
			shape []int64
			data  []byte
		}{
			{target, tensor.U32, []int64{rows, cols * int64(p.Bits) / 32}, ref.Words},
			{stem + ".scales", out, []int64{rows, cols / int64(p.GroupSize)}, ref.Scales},
			{stem + ".biases", out, []int64{rows, cols / int64(p.GroupSize)}, ref.Biases},
		} {
			g, ok := got[part.name]
			require.True(t, ok, "%s missing", part.name)
			require.Equal(t, tensor.Info{Name: part.name, DType: part.dtype, Shape: part.shape}, g.info)
			require.Equal(t, part.data, g.data, "%s: bytes differ from quant.QuantizeRows", part.name)
		}
	}
	require.Equal(t, 20, quantized, "two blocks of ten Linears")
	require.Len(t, got, len(dense)+2*quantized)
}

func readManifest(t *testing.T, dir string) layout.ManifestDoc {
	t.Helper()
	m, err := layout.ReadManifest(filepath.Join(dir, layout.Manifest))
	require.NoError(t, err)
	return *m
}

func manifestFile(t *testing.T, m layout.ManifestDoc, path string) layout.ManifestEntry {
	t.Helper()
	for _, f := range m.Files {
		if f.Path == path {
			return f
		}
	}
	t.Fatalf("manifest lists no %s", path)
	return layout.ManifestEntry{}
}

// TestConvertQuantized: --quantize 4 in the default layout streams the
// Linears in one-row blocks (limits.quantBlockBytes lowered) and writes exactly
// the quantized parts; T5 and VAE are untouched; config.json is the
// release's plus the quantization object; the manifest records it and
// counts each quantized Linear's parameters once.
func TestConvertQuantized(t *testing.T) {
	t.Parallel()
	rows := realEnv()
	rows.limits.quantBlockBytes = 1 // one row per block: 256 blocks for an FFN weight
	p := quant.Params{Bits: 4, GroupSize: 64}
	out := filepath.Join(t.TempDir(), "q4")
	_, err := convertIn(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Quiet: true, Quantize: 4}, rows)
	require.NoError(t, err)
	dense := filepath.Join(t.TempDir(), "dense")
	require.NoError(t, convertWith(dense, Options{}))

	src, got, base := readRelease(t, tinyDir), readConverted(t, out), readConverted(t, dense)
	requireQuantizedDiT(t, mapping.LayoutWanconv, got[mapping.ComponentDiT], base[mapping.ComponentDiT], src[mapping.ComponentDiT], tensor.BF16, p)
	require.Equal(t, base[mapping.ComponentT5], got[mapping.ComponentT5])
	require.Equal(t, base[mapping.ComponentVAE], got[mapping.ComponentVAE])

	cfg, err := os.ReadFile(filepath.Join(out, layout.Config))
	require.NoError(t, err)
	orig, err := os.ReadFile(filepath.Join(tinyDir, layout.ReleaseConfig))
	require.NoError(t, err)
	body := strings.TrimSuffix(strings.TrimRight(string(orig), "\n"), "\n}")
	require.Equal(t, body+",\n  \"quantization\": {\"group_size\": 64, \"bits\": 4}\n}\n", string(cfg))

	m, dm := readManifest(t, out), readManifest(t, dense)
	require.Equal(t, &layout.Quantization{GroupSize: 64, Bits: 4}, m.Quantization)
	require.Nil(t, dm.Quantization)
	ditFile := layout.Wanconv.DiTSingle()
	qf, df := manifestFile(t, m, ditFile), manifestFile(t, dm, ditFile)
	require.Equal(t, "bfloat16+uint32", qf.DType)
	require.Equal(t, df.Parameters, qf.Parameters)
	require.Equal(t, df.Tensors+2*20, qf.Tensors)
	require.Equal(t, "config", manifestFile(t, m, layout.Config).Kind)
	require.Equal(t, "copy", manifestFile(t, dm, layout.Config).Kind)
}

// TestConvertQuantizedMLXVideo: 8-bit, group 32, float32 DiT in
// mlx-video's names; its config.json gains the quantization object.
func TestConvertQuantizedMLXVideo(t *testing.T) {
	t.Parallel()
	p := quant.Params{Bits: 8, GroupSize: 32}
	out := filepath.Join(t.TempDir(), "mv8")
	f32 := map[string]string{"dit": "float32"}
	require.NoError(t, convertWith(out, Options{Layout: "mlx-video", ComponentDType: f32, Quantize: 8, GroupSize: 32}))
	dense := filepath.Join(t.TempDir(), "mv")
	require.NoError(t, convertWith(dense, Options{Layout: "mlx-video", ComponentDType: f32}))

	got := readSafetensors(t, filepath.Join(out, layout.MLXVideo.DiTSingle()))
	base := readSafetensors(t, filepath.Join(dense, layout.MLXVideo.DiTSingle()))
	require.Contains(t, got, "blocks.1.ffn.fc2.scales")
	requireQuantizedDiT(t, mapping.LayoutMLXVideo, got, base, readRelease(t, tinyDir)[mapping.ComponentDiT], tensor.F32, p)

	raw, err := os.ReadFile(filepath.Join(out, layout.Config))
	require.NoError(t, err)
	parsed, err := mapping.ParseMLXVideoConfig(raw)
	require.NoError(t, err)
	require.Equal(t, &mapping.MLXVideoQuantization{GroupSize: 32, Bits: 8}, parsed.Quantization)
	plain, err := os.ReadFile(filepath.Join(dense, layout.Config))
	require.NoError(t, err)
	require.Equal(t, strings.TrimSuffix(string(plain), "\n}\n"), strings.Split(string(raw), ",\n  \"quantization\"")[0])
	require.Equal(t, &layout.Quantization{GroupSize: 32, Bits: 8}, readManifest(t, out).Quantization)
}

// TestConvertQuantizedShards: with tiny shards each Linear's three parts
// still share one file.
func TestConvertQuantizedShards(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "q")
	require.NoError(t, convertWith(out, Options{Quantize: 8, MaxShardSize: 20_000}))
	raw, err := os.ReadFile(filepath.Join(out, layout.Wanconv.DiTIndex()))
	require.NoError(t, err)
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	require.NoError(t, json.Unmarshal(raw, &idx))
	files, n := map[string]bool{}, 0
	for name, file := range idx.WeightMap {
		files[file] = true
		if stem, ok := strings.CutSuffix(name, ".scales"); ok {
			n++
			require.Equal(t, file, idx.WeightMap[stem+".weight"], name)
			require.Equal(t, file, idx.WeightMap[stem+".biases"], name)
		}
	}
	require.Equal(t, 20, n)
	require.Greater(t, len(files), 10)
	f, err := safetensors.OpenAuto(filepath.Join(out, layout.Wanconv.DiTIndex()))
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// TestQuantizeBadInput: unsupported settings and a Linear whose input size
// the group size does not divide are refused (exit 2 of cmd/wanconv) before
// anything is written; the message names the file and the tensor.
func TestQuantizeBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		o   Options
		msg string
	}{
		{Options{Quantize: 3}, "--quantize 3: want 4 or 8 bits"},
		{Options{Quantize: 16}, "--quantize 16: want 4 or 8 bits"},
		{Options{Quantize: 4, GroupSize: 48}, "--group-size: quantization group size 48 not supported (32, 64 or 128)"},
		{Options{GroupSize: 64}, "--group-size 64 needs --quantize 4 or 8"},
	} {
		out := filepath.Join(t.TempDir(), "out")
		err := convertWith(out, c.o)
		requireInputError(t, err)
		require.ErrorContains(t, err, c.msg)
		require.Empty(t, treeFiles(t, out), c.msg)
	}

	// A DiT with ffn_dim 160: the FFN's second Linear has 160 inputs.
	rel := copyTree(t, tinyDir)
	var ts []tensorData
	for _, td := range ditTensors(t, rel) {
		switch {
		case strings.HasSuffix(td.info.Name, "ffn.0.weight"):
			td = tensorData{tensor.Info{Name: td.info.Name, DType: td.info.DType, Shape: []int64{160, 128}}, td.data[:160*128*4]}
		case strings.HasSuffix(td.info.Name, "ffn.0.bias"):
			td = tensorData{tensor.Info{Name: td.info.Name, DType: td.info.DType, Shape: []int64{160}}, td.data[:160*4]}
		case strings.HasSuffix(td.info.Name, "ffn.2.weight"):
			b := make([]byte, 0, 128*160*4)
			for r := range 128 {
				b = append(b, td.data[r*256*4:r*256*4+160*4]...)
			}
			td = tensorData{tensor.Info{Name: td.info.Name, DType: td.info.DType, Shape: []int64{128, 160}}, b}
		}
		ts = append(ts, td)
	}
	writeSingleDiT(t, rel, ts)
	cfg, err := os.ReadFile(filepath.Join(rel, srcConfig))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(rel, srcConfig), []byte(strings.Replace(string(cfg), `"ffn_dim": 256`, `"ffn_dim": 160`, 1)), 0o644))

	out := filepath.Join(t.TempDir(), "out")
	_, err = Convert(context.Background(), Options{SrcDir: rel, OutDir: out, Quiet: true, Quantize: 4})
	requireInputError(t, err)
	require.ErrorContains(t, err, filepath.Join(rel, srcDiTSingle)+": tensor blocks.0.ffn.2.weight: cannot quantize (4-bit, group size 64): "+
		"shape (128, 160): input size 160 is not a multiple of the group size 64")
	require.Empty(t, treeFiles(t, out))
	_, err = Convert(context.Background(), Options{SrcDir: rel, OutDir: out, Quiet: true, Quantize: 4, GroupSize: 32})
	require.NoError(t, err)
}

// convertWith converts the tiny release into out with o's settings.
func convertWith(out string, o Options) error {
	o.SrcDir, o.OutDir, o.Quiet = tinyDir, out, true
	_, err := Convert(context.Background(), o)
	return err
}

func TestWithQuantization(t *testing.T) {
	t.Parallel()
	q := layout.Quantization{GroupSize: 128, Bits: 8}
	for in, want := range map[string]string{
		"{\"a\": 1}\n":           "{\"a\": 1,\n  \"quantization\": {\"group_size\": 128, \"bits\": 8}\n}\n",
		"{\n  \"a\": [1, {}]\n}": "{\n  \"a\": [1, {}],\n  \"quantization\": {\"group_size\": 128, \"bits\": 8}\n}\n",
		"{}":                     "{\n  \"quantization\": {\"group_size\": 128, \"bits\": 8}\n}\n",
		" { \"x\" : \"}\" } \n":  " { \"x\" : \"}\",\n  \"quantization\": {\"group_size\": 128, \"bits\": 8}\n}\n",
	} {
		got, err := withQuantization([]byte(in), q)
		require.NoError(t, err, in)
		require.Equal(t, want, string(got), in)
		require.True(t, json.Valid(got), in)
	}
	for in, msg := range map[string]string{
		`[1]`:                           "not a JSON object",
		`{"quantization": {"bits": 4}}`: "already has a quantization entry",
		`{"a": 1} {}`:                   "data after its object",
		`{"a": }`:                       "config.json",
	} {
		_, err := withQuantization([]byte(in), q)
		require.ErrorContains(t, err, msg, in)
	}
}

// splitShards treats a Linear's weight, scales and biases as one unit.
func TestSplitShardsKeepsQuantizedParts(t *testing.T) {
	t.Parallel()
	mk := func(name string, size int64, r quantRole) plannedTensor {
		return plannedTensor{target: name, size: size, role: r}
	}
	ts := []plannedTensor{mk("a", 6, quantNone), mk("b.weight", 6, quantWords), mk("b.scales", 1, quantScales),
		mk("b.biases", 1, quantBiases), mk("c", 2, quantNone)}
	var names [][]string
	for _, g := range splitShards(ts, 10) {
		var n []string
		for _, pt := range g {
			n = append(n, pt.target)
		}
		names = append(names, n)
	}
	require.Equal(t, [][]string{{"a"}, {"b.weight", "b.scales", "b.biases", "c"}}, names)
}
