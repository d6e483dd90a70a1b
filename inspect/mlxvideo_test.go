package inspect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/internal/mlxvideoref"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// writeMLXVideo writes the tiny release's headers in mlx-video's layout
// (zero weights, names and shapes from internal/mlxvideoref, not from
// mapping) with the release's config.json; edit may change each tensor.
func writeMLXVideo(t *testing.T, edit func(mapping.Component, *tensor.Info)) string {
	t.Helper()
	rep, err := Inspect(tinyDir, Options{Tensors: true})
	require.NoError(t, err)
	dir := t.TempDir()
	config, err := os.ReadFile(filepath.Join(tinyDir, "config.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), config, 0o644))
	files := map[mapping.Component]string{mapping.ComponentDiT: "model.safetensors",
		mapping.ComponentT5: "t5_encoder.safetensors", mapping.ComponentVAE: "vae.safetensors"}
	for _, c := range rep.Components {
		var out []tensor.Info
		for _, te := range c.Tensors {
			in := tensor.Info{Name: mlxvideoref.Name(string(c.Component), te.Name), DType: tensor.BF16,
				Shape: mlxvideoref.Shape(string(c.Component), te.Name, te.Shape)}
			if edit != nil {
				edit(c.Component, &in)
			}
			out = append(out, in)
		}
		writeZeros(t, filepath.Join(dir, files[c.Component]), out)
	}
	return dir
}

// TestInspectMLXVideoLayout: inspect recognises a directory in mlx-video's
// layout from its files alone (no manifest), reads every component in that
// layout and infers the release's architectures.
func TestInspectMLXVideoLayout(t *testing.T) {
	dir := writeMLXVideo(t, nil)
	rep, err := Inspect(dir, Options{})
	require.NoError(t, err)
	require.Equal(t, InputConverted, rep.Input)
	require.Empty(t, rep.MissingComponents)
	want := goldenArchs(t)
	for _, c := range mapping.Components {
		cr := component(t, rep, c)
		require.Equal(t, mapping.LayoutMLXVideo, cr.Layout, c)
		require.Equal(t, mapping.NamingMLX, cr.Naming, c)
		require.Equal(t, CheckPassed, cr.Check, "%s: %v", c, cr.Problems)
		require.Nil(t, cr.Index, c)
		require.Equal(t, want[c], cr.Architecture, c)
	}
}

// TestInspectMLXVideoPyTorchOrder: a VAE conv weight of an mlx-video
// directory left in PyTorch order fails inspect (exit 2), naming the tensor.
func TestInspectMLXVideoPyTorchOrder(t *testing.T) {
	const name = "decoder.head.layer_2.weight"
	dir := writeMLXVideo(t, func(c mapping.Component, in *tensor.Info) {
		if c == mapping.ComponentVAE && in.Name == name {
			in.Shape = mlxvideoref.PyTorchOrder(in.Shape)
		}
	})
	stdout, refused := describe(dir, Options{}, false)
	require.NotEmpty(t, refused, stdout) // the command exits 2
	require.Contains(t, stdout+refused, name)
	require.Contains(t, stdout+refused, "(12, 8, 3, 3, 3)")
}
