//go:build mlx

package mlx_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

// groupRange returns max-min of each group of g consecutive values.
func groupRange(w []float32, g int) []float64 {
	out := make([]float64, len(w)/g)
	for i := range out {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range w[i*g : (i+1)*g] {
			lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
		}
		out[i] = hi - lo
	}
	return out
}

func TestQuantizeDequantizeErrorBounds(t *testing.T) {
	const rows, cols = 8, 256
	w := randn(11, rows*cols)
	for _, c := range []struct{ group, bits int }{{64, 4}, {32, 4}, {128, 8}, {64, 8}, {64, 2}} {
		t.Run(fmt.Sprintf("g%d_b%d", c.group, c.bits), func(t *testing.T) {
			do(t, func() error {
				wq, scales, biases := mlx.Quantize(mlx.FromFloat32s(w, rows, cols), c.group, c.bits)
				require.NoError(t, mlx.Err())
				require.Equal(t, mlx.Uint32, wq.Dtype())
				require.Equal(t, []int{rows, cols * c.bits / 32}, wq.Shape())
				require.Equal(t, []int{rows, cols / c.group}, scales.Shape())
				require.Equal(t, []int{rows, cols / c.group}, biases.Shape())
				require.Equal(t, mlx.Float32, scales.Dtype())

				back := mlx.Dequantize(wq, scales, biases, c.group, c.bits)
				require.Equal(t, []int{rows, cols}, back.Shape())
				got := values(t, back)
				// Each value is off by at most one quantization step of
				// its group, (max-min)/(2^bits-1), and by about a quarter
				// step on average (rounding to the nearest level).
				steps := groupRange(w, c.group)
				levels := float64(int(1)<<c.bits - 1)
				var sumRel float64
				for i := range w {
					step := steps[i/c.group] / levels
					d := math.Abs(float64(got[i] - w[i]))
					require.LessOrEqualf(t, d, step*(1+1e-5), "element %d: %g vs %g (step %g)", i, got[i], w[i], step)
					sumRel += d / step
				}
				mean := sumRel / float64(len(w))
				require.Less(t, mean, 0.35, "mean error in steps")
				require.Greater(t, mean, 0.1, "the values really were rounded")
				return nil
			})
		})
	}
}

func TestQuantizedMatmulEqualsMatmulWithDequantizedWeight(t *testing.T) {
	const m, k, n = 5, 128, 64
	x := randn(21, m*k)
	do(t, func() error {
		xs := mlx.FromFloat32s(x, m, k)
		for _, c := range []struct {
			group, bits int
			transpose   bool
		}{{64, 4, true}, {32, 8, true}, {64, 4, false}} {
			// transpose: w is out,in (a linear layer) and quantized along in;
			// otherwise w is in,out and quantized along out.
			shape := []int{n, k}
			if !c.transpose {
				shape = []int{k, n}
			}
			w := mlx.FromFloat32s(randn(uint64(31+c.bits), n*k), shape...)
			wq, scales, biases := mlx.Quantize(w, c.group, c.bits)
			deq := mlx.Dequantize(wq, scales, biases, c.group, c.bits)
			ref := deq
			if c.transpose {
				ref = mlx.Transpose(deq)
			}
			want := values(t, mlx.Matmul(xs, ref))
			got := mlx.QuantizedMatmul(xs, wq, scales, biases, c.transpose, c.group, c.bits)
			require.Equal(t, []int{m, n}, got.Shape())
			q := values(t, got)
			t.Logf("group %d, %d bits, transpose %v: max |quantized - dequantized matmul| %.2g, max |y| %.3g",
				c.group, c.bits, c.transpose, maxDiff(want, q), maxAbs(want))
			requireClose(t, want, q, 1e-5*maxAbs(want))
			// And the quantized product is near the float one, not equal.
			exact := values(t, mlx.Matmul(xs, map[bool]*mlx.Array{true: mlx.Transpose(w), false: w}[c.transpose]))
			d := maxDiff(exact, q)
			require.Greater(t, d, 1e-4, "quantization changes the product")
			require.Less(t, d, 0.25*maxAbs(exact), "but not by much")
		}
		return nil
	})
}

func TestQuantizationRejectsBadSettings(t *testing.T) {
	for name, c := range map[string]struct {
		group, bits int
		want        string
	}{
		"negative group": {-64, 4, "must not be negative"},
		"odd group":      {48, 4, "Quantize"},
		"too many bits":  {64, 16, "Quantize"},
	} {
		t.Run(name, func(t *testing.T) {
			err := mlx.Do(func() error {
				wq, s, b := mlx.Quantize(mlx.Zeros(mlx.Float32, 4, 128), c.group, c.bits)
				require.False(t, wq.Valid())
				require.False(t, s.Valid())
				require.False(t, b.Valid())
				return nil
			})
			require.ErrorContains(t, err, c.want)
		})
	}
	err := mlx.Do(func() error {
		wq, s, b := mlx.Quantize(mlx.Zeros(mlx.Float32, 4, 128), 0, 0) // MLX defaults: 64, 4
		require.Equal(t, []int{4, 128 * 4 / 32}, wq.Shape())
		require.Equal(t, []int{4, 2}, s.Shape())
		mlx.QuantizedMatmul(mlx.Zeros(mlx.Float32, 2, 64), wq, s, b, true, 64, 4)
		return nil
	})
	require.ErrorContains(t, err, "QuantizedMatmul")
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

func maxDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}
