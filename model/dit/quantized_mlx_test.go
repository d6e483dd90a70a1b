//go:build mlx

package dit

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/mlx"
)

// convertTinyQuantized converts the tiny release with a quantized DiT.
func convertTinyQuantized(t testing.TB, dtype string, bits, group int) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "quantized")
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: filepath.Join(goldenDir, "wan2.2-tiny"), OutDir: out, DType: dtype, Quiet: true,
		Quantize: bits, GroupSize: group,
	})
	require.NoError(t, err)
	return out
}

// quantizedRun loads a quantized checkpoint and returns the reference
// output's errors: through the quantized matmul against upstream, the same
// weights dequantized (Options.DequantizeLinears) against upstream, and the
// two runs against each other; and the same for a dense model built from
// mlx.Dequantize (float32) of every triplet, which must match the
// dequantized run.
func quantizedRun(t *testing.T, dir string, bits, group int) (quantRel, dequantRel, kernelRel float64) {
	requireMLX(t)
	require.NoError(t, mlx.Do(func() error {
		ref := loadReference(t)
		outputs := map[string]*mlx.Array{}
		for _, mode := range []string{"quantized", "dequantized", "dense"} {
			arch, ws := loadDir(t, dir)
			if mode == "dense" {
				for name, w := range ws {
					stem, ok := strings.CutSuffix(name, ".weight")
					if !ok || w.Dtype() != mlx.Uint32 {
						continue
					}
					ws[name] = mlx.Dequantize(w, f32(ws[stem+".scales"]), f32(ws[stem+".biases"]), group, bits)
					delete(ws, stem+".scales")
					delete(ws, stem+".biases")
				}
			}
			m, err := New(arch, ws, Options{DequantizeLinears: mode == "dequantized"})
			require.NoError(t, err)
			n, b, g := m.Quantization()
			if mode == "dense" {
				require.Equal(t, [3]int{0, 0, 0}, [3]int{n, b, g})
			} else {
				require.Equal(t, [3]int{20, bits, group}, [3]int{n, b, g})
			}
			out, err := m.Forward(ref.x, ref.t, ref.context, ref.seqLen)
			require.NoError(t, err)
			require.NoError(t, mlx.Eval(out))
			mlx.Keep(out)
			outputs[mode] = out
			m.Free()
		}
		_, quantRel = compare(t, outputs["quantized"], ref.output)
		_, dequantRel = compare(t, outputs["dequantized"], ref.output)
		_, kernelRel = compare(t, outputs["quantized"], outputs["dequantized"])
		// mlx.Dequantize in float32 outside the model: the same weights.
		_, denseRel := compare(t, outputs["dense"], outputs["dequantized"])
		require.LessOrEqual(t, denseRel, 1e-6, "dense model from mlx.Dequantize vs the dequantized run")
		for _, o := range outputs {
			o.Free()
		}
		return nil
	}))
	return
}

// The tiny release's reference error per bits, from float32 and bfloat16
// weights; the quantized matmul agrees with the dense matmul of the
// dequantized weights to float32 rounding, so the error is the checkpoint's.
func TestForwardQuantized(t *testing.T) {
	for _, c := range []struct {
		dtype       string
		bits, group int
		tol         float64 // max|err|/std(ref) against upstream
	}{
		{"float32", 8, 64, 3e-2},
		{"", 8, 64, 1e-1},
		{"float32", 4, 64, 5e-1},
		{"", 4, 64, 5e-1},
		{"", 4, 32, 5e-1},
		{"", 8, 128, 1e-1},
	} {
		q, d, k := quantizedRun(t, convertTinyQuantized(t, c.dtype, c.bits, c.group), c.bits, c.group)
		t.Logf("%d-bit, group %d, %q weights: max|err|/std(ref) quantized %.3g, dequantized %.3g; quantized vs dequantized %.3g",
			c.bits, c.group, c.dtype, q, d, k)
		require.LessOrEqual(t, q, c.tol)
		require.LessOrEqual(t, k, 1e-4, "quantized matmul vs dense matmul of the dequantized weights")
		require.InDelta(t, d, q, 1e-4)
		require.Greater(t, q, 1e-3, "quantization must cost something: is the quantized path running?")
	}
}
