package verify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/internal/mlxvideoref"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/tensor"
)

// mvEdit changes one tensor of a foreign mlx-video directory before it is
// written (component "dit", "t5" or "vae"; name and shape already in
// mlx-video's form, data channels-last); it returns the bytes to write.
type mvEdit func(component string, e *safetensors.HeaderEntry, data []byte) []byte

// writeForeignMLXVideo writes the tiny release in mlx-video's layout the way
// another converter would, without wanconv's converter, rules or manifest:
// names and shapes from internal/mlxvideoref, VAE conv weights transposed to
// channels-last by the test's own index arithmetic, the release's dtypes
// kept (DiT and VAE float32, T5 bfloat16), metadata {"format": "mlx"}, and
// config.json the complete WanModelConfig from the upstream facts (cfg may
// change it).
func writeForeignMLXVideo(t *testing.T, edit mvEdit, cfg func(map[string]any)) string {
	t.Helper()
	rel := golden.TinyRelease()
	out := filepath.Join(t.TempDir(), "mlx-video")
	require.NoError(t, os.MkdirAll(out, 0o755))
	dit, err := safetensors.OpenAuto(filepath.Join(rel, layout.ReleaseDiTIndex))
	require.NoError(t, err)
	t5, err := pth.Open(filepath.Join(rel, layout.ReleaseT5))
	require.NoError(t, err)
	vae, err := pth.Open(filepath.Join(rel, layout.ReleaseVAE))
	require.NoError(t, err)
	for _, c := range []struct {
		comp, file string
		src        tensor.Source
	}{{"dit", "model.safetensors", dit}, {"t5", "t5_encoder.safetensors", t5}, {"vae", "vae.safetensors", vae}} {
		writeForeignFile(t, filepath.Join(out, c.file), c.comp, c.src, edit)
		require.NoError(t, c.src.Close())
	}
	facts, err := os.ReadFile(golden.TinyFacts())
	require.NoError(t, err)
	conf, err := mlxvideoref.TI2VConfig(facts)
	require.NoError(t, err)
	if cfg != nil {
		cfg(conf)
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(out, "config.json"), b, 0o644))
	return out
}

func writeForeignFile(t *testing.T, path, comp string, src tensor.Source, edit mvEdit) {
	t.Helper()
	infos := slices.Clone(src.Tensors())
	slices.SortFunc(infos, func(a, b tensor.Info) int { return strings.Compare(a.Name, b.Name) })
	entries := make([]safetensors.HeaderEntry, len(infos))
	data := make([][]byte, len(infos))
	for i, in := range infos {
		b := make([]byte, in.NumBytes())
		require.NoError(t, src.ReadTensor(in.Name, b))
		if comp == "vae" && len(in.Shape) >= 4 && strings.HasSuffix(in.Name, "weight") {
			b = toChannelsLast(b, in.Shape, in.DType.Size())
		}
		entries[i] = safetensors.HeaderEntry{Name: mlxvideoref.Name(comp, in.Name), DType: in.DType,
			Shape: mlxvideoref.Shape(comp, in.Name, in.Shape)}
		if edit != nil {
			b = edit(comp, &entries[i], b)
		}
		data[i] = b
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := safetensors.NewWriter(f, entries, map[string]string{"format": "mlx"})
	require.NoError(t, err)
	for i, e := range entries {
		require.NoError(t, w.WriteTensor(e.Name, data[i]))
	}
	require.NoError(t, w.Finish())
	require.NoError(t, f.Close())
}

// toChannelsLast moves axis 1 of a row-major (O, I, s...) tensor last.
func toChannelsLast(data []byte, shape []int64, el int) []byte {
	return moveChannels(data, shape, el, true)
}

// moveChannels moves axis 1 of a row-major (O, I, s...) tensor last
// (toLast), or back from last to axis 1 given that (O, I, s...) shape.
func moveChannels(data []byte, shape []int64, el int, toLast bool) []byte {
	o, in, s := shape[0], shape[1], int64(1)
	for _, d := range shape[2:] {
		s *= d
	}
	out := make([]byte, len(data))
	for a := int64(0); a < o; a++ {
		for b := int64(0); b < in; b++ {
			for c := int64(0); c < s; c++ {
				first, last := ((a*in+b)*s+c)*int64(el), ((a*s+c)*in+b)*int64(el)
				if toLast {
					copy(out[last:last+int64(el)], data[first:first+int64(el)])
				} else {
					copy(out[first:first+int64(el)], data[last:last+int64(el)])
				}
			}
		}
	}
	return out
}

// foreignOptions verifies fully (forward passes against the upstream
// reference tensors) where MLX is built in, else structurally.
func foreignOptions(dir string) Options {
	if MLXBuilt() {
		return Options{Dir: dir, JSON: true, Reference: golden.TinyReference()}
	}
	return Options{Dir: dir, JSON: true, Structural: true}
}

func verifyForeign(t *testing.T, dir string) (int, *Report) {
	t.Helper()
	code, stdout, stderr := runVerify(t, foreignOptions(dir))
	var rep Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stderr)
	return code, &rep
}

// TestForeignMLXVideoVerifies: a directory in mlx-video's layout written
// without wanconv (no manifest) passes every check, each component read in
// that layout, and the report notes the missing manifest instead of failing.
func TestForeignMLXVideoVerifies(t *testing.T) {
	dir := writeForeignMLXVideo(t, nil, nil)
	_, err := os.Stat(filepath.Join(dir, layout.Manifest))
	require.True(t, os.IsNotExist(err))
	code, rep := verifyForeign(t, dir)
	require.Equal(t, ExitPass, code, rep.Problems)
	require.Empty(t, rep.Problems)
	require.Len(t, rep.Components, 3)
	for _, c := range rep.Components {
		require.Equal(t, "mlx-video", c.Layout, c.Name)
		var note *Check
		for i := range c.Checks {
			if c.Checks[i].Name == "manifest" {
				note = &c.Checks[i]
			}
		}
		require.NotNil(t, note, c.Name)
		require.True(t, note.Info, c.Name)
		require.Contains(t, note.Detail, "no wanconv-manifest.json: not written by wanconv", c.Name)
		if MLXBuilt() {
			require.NotNil(t, c.Forward, c.Name)
			require.NotEmpty(t, c.Reference, c.Name)
		}
	}
	names := map[string]bool{}
	for _, ch := range rep.Components[0].Checks {
		names[ch.Name] = ch.Passed
	}
	require.True(t, names["config"], "the DiT's config.json check ran and passed")
}

// TestForeignMLXVideoFails: one defect in an otherwise good foreign
// mlx-video directory fails verification with exit 1, and the report names
// the tensor or config.json field; the other components still pass.
func TestForeignMLXVideoFails(t *testing.T) {
	const (
		renamed  = "blocks.1.ffn.gate_proj.weight" // T5: the upstream name left in place
		torchVAE = "decoder.conv1.weight"          // VAE Conv3d (O, I, kT, kH, kW) not transposed
	)
	var torchShape []int64
	for _, c := range []struct {
		name   string
		edit   mvEdit
		cfg    func(map[string]any)
		failed string   // the failing component
		want   []string // in the report's problems
	}{
		{name: "renamed tensor", failed: "t5", want: []string{renamed, "blocks.1.ffn.gate.0.weight"},
			edit: func(comp string, e *safetensors.HeaderEntry, data []byte) []byte {
				if comp == "t5" && e.Name == renamed {
					e.Name = "blocks.1.ffn.gate.0.weight"
				}
				return data
			}},
		{name: "conv weight in PyTorch order", failed: "vae", want: []string{torchVAE},
			edit: func(comp string, e *safetensors.HeaderEntry, data []byte) []byte {
				if comp == "vae" && e.Name == torchVAE {
					e.Shape = mlxvideoref.PyTorchOrder(e.Shape)
					torchShape = e.Shape
					return fromChannelsLast(data, e.Shape, e.DType.Size())
				}
				return data
			}},
		{name: "config dim", failed: "dit", want: []string{"config.dim", "is 256 but the weights have 128"},
			cfg: func(m map[string]any) { m["dim"] = 256.0 }},
		{name: "config num_layers", failed: "dit", want: []string{"config.num_layers", "is 3 but the weights have 2"},
			cfg: func(m map[string]any) { m["num_layers"] = 3.0 }},
		{name: "config vae_z_dim", failed: "dit", want: []string{"config.vae_z_dim", "is 16 but the weights have 48"},
			cfg: func(m map[string]any) { m["vae_z_dim"] = 16.0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := writeForeignMLXVideo(t, c.edit, c.cfg)
			code, rep := verifyForeign(t, dir)
			require.Equal(t, ExitMismatch, code, rep.Error)
			require.Empty(t, rep.Error)
			for _, comp := range rep.Components {
				require.Equal(t, string(comp.Name) != c.failed, comp.Passed, "%s: %v", comp.Name, rep.Problems)
			}
			joined := strings.Join(rep.Problems, "\n")
			for _, w := range c.want {
				require.Contains(t, joined, w)
			}
			for _, p := range rep.Problems {
				require.True(t, strings.HasPrefix(p, c.failed+": "), p)
				require.NotContains(t, p, ": : ", "a problem with an empty tensor name")
			}
			t.Logf("%s:\n%s", c.name, joined)
		})
	}
	require.Equal(t, []int64{32, 48, 3, 3, 3}, torchShape, "the PyTorch-order case really wrote (O, I, kT, kH, kW)")
}

// fromChannelsLast is toChannelsLast's inverse: given the (O, I, s...) shape
// wanted, it moves the last axis of the (O, s..., I) data back to axis 1.
func fromChannelsLast(data []byte, shape []int64, el int) []byte {
	return moveChannels(data, shape, el, false)
}
