package inspect

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// A quantized conversion in either layout passes with the dense
// architecture and parameter count and its quantization reported; a
// Linear that lost its biases fails, naming them.
func TestInspectQuantized(t *testing.T) {
	want := goldenArchs(t)
	for _, l := range []string{"wanconv", "mlx-video"} {
		out := filepath.Join(t.TempDir(), "q")
		_, err := convert.Convert(context.Background(), convert.Options{SrcDir: tinyDir, OutDir: out, Layout: l, Quiet: true, Quantize: 4})
		require.NoError(t, err)
		rep, err := Inspect(out, Options{})
		require.NoError(t, err)
		cr := component(t, rep, mapping.ComponentDiT)
		require.Equal(t, CheckPassed, cr.Check, "%s: %v", l, cr.Problems)
		require.Equal(t, &Quantization{Bits: 4, GroupSize: 64, Linears: 20}, cr.Quantization)
		require.Equal(t, int64(597568), cr.ParamCount)
		require.Equal(t, 109, cr.TensorCount)
		require.Equal(t, want[mapping.ComponentDiT], cr.Architecture)
		require.Nil(t, component(t, rep, mapping.ComponentT5).Quantization)
	}

	// mlx-video's single file: no index to edit as well
	out := filepath.Join(t.TempDir(), "broken")
	_, err := convert.Convert(context.Background(), convert.Options{SrcDir: tinyDir, OutDir: out, Layout: "mlx-video", Quiet: true, Quantize: 8})
	require.NoError(t, err)
	path := filepath.Join(out, "model.safetensors")
	f, err := safetensors.Open(path)
	require.NoError(t, err)
	var keep []tensor.Info
	for _, info := range f.Tensors() {
		if info.Name != "blocks.1.ffn.fc2.biases" {
			keep = append(keep, info)
		}
	}
	require.NoError(t, f.Close())
	require.NoError(t, os.Remove(path))
	writeZeros(t, path, keep)
	rep, err := Inspect(out, Options{})
	require.NoError(t, err)
	cr := component(t, rep, mapping.ComponentDiT)
	require.Equal(t, CheckFailed, cr.Check)
	require.Len(t, cr.Problems, 1, "%v", cr.Problems)
	require.Equal(t, mapping.Problem{Kind: mapping.ProblemQuantized, Name: "blocks.1.ffn.fc2.biases",
		Detail: "missing: blocks.1.ffn.fc2.weight is quantized (8-bit, group size 64) and needs it with shape (128, 4)"}, cr.Problems[0])
}
