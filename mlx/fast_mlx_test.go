//go:build mlx

package mlx_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

// naiveAttention computes softmax(q k^T * scale + bias) v for q,k,v shaped
// B,H,L,D. bias(b,h,i,j) returns the additive mask (−Inf to drop a key).
func naiveAttention(q, k, v []float32, B, H, Lq, Lk, D int, scale float64, bias func(b, h, i, j int) float64) []float32 {
	out := make([]float32, B*H*Lq*D)
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			for i := 0; i < Lq; i++ {
				logits := make([]float64, Lk)
				top := math.Inf(-1)
				for j := 0; j < Lk; j++ {
					dot := 0.0
					for d := 0; d < D; d++ {
						dot += float64(q[index([]int{B, H, Lq, D}, b, h, i, d)]) * float64(k[index([]int{B, H, Lk, D}, b, h, j, d)])
					}
					logits[j] = dot*scale + bias(b, h, i, j)
					top = math.Max(top, logits[j])
				}
				z := 0.0
				for j := range logits {
					logits[j] = math.Exp(logits[j] - top)
					z += logits[j]
				}
				for d := 0; d < D; d++ {
					acc := 0.0
					for j := 0; j < Lk; j++ {
						acc += logits[j] / z * float64(v[index([]int{B, H, Lk, D}, b, h, j, d)])
					}
					out[index([]int{B, H, Lq, D}, b, h, i, d)] = float32(acc)
				}
			}
		}
	}
	return out
}

func TestSDPAMatchesNaiveAttention(t *testing.T) {
	const B, H, Lq, Lk, D = 2, 3, 5, 7, 8
	q, k, v := randn(1, B*H*Lq*D), randn(2, B*H*Lk*D), randn(3, B*H*Lk*D)
	scale := 1 / math.Sqrt(D)
	// Key padding: batch 0 sees all keys, batch 1 only the first 4.
	keep := func(b, j int) bool { return b == 0 || j < 4 }
	boolMask := make([]bool, B*Lk)
	for b := 0; b < B; b++ {
		for j := 0; j < Lk; j++ {
			boolMask[b*Lk+j] = keep(b, j)
		}
	}
	// Additive bias that differs per head and query.
	additive := randn(4, H*Lq*Lk)

	noMask := naiveAttention(q, k, v, B, H, Lq, Lk, D, scale, func(b, h, i, j int) float64 { return 0 })
	withBool := naiveAttention(q, k, v, B, H, Lq, Lk, D, scale, func(b, h, i, j int) float64 {
		if keep(b, j) {
			return 0
		}
		return math.Inf(-1)
	})
	withAdd := naiveAttention(q, k, v, B, H, Lq, Lk, D, scale, func(b, h, i, j int) float64 {
		return float64(additive[index([]int{H, Lq, Lk}, h, i, j)])
	})

	do(t, func() error {
		qa := mlx.FromFloat32s(q, B, H, Lq, D)
		ka := mlx.FromFloat32s(k, B, H, Lk, D)
		va := mlx.FromFloat32s(v, B, H, Lk, D)
		got := mlx.SDPA(qa, ka, va, float32(scale), nil)
		require.Equal(t, []int{B, H, Lq, D}, got.Shape())
		requireClose(t, noMask, values(t, got), 1e-5)

		bm := mlx.FromBools(boolMask, B, 1, 1, Lk)
		requireClose(t, withBool, values(t, mlx.SDPA(qa, ka, va, float32(scale), bm)), 1e-5)

		am := mlx.FromFloat32s(additive, 1, H, Lq, Lk)
		requireClose(t, withAdd, values(t, mlx.SDPA(qa, ka, va, float32(scale), am)), 1e-5)
		return nil
	})
}

func TestRMSNormAndLayerNormMatchGo(t *testing.T) {
	const rows, dim = 3, 16
	const eps = 1e-6
	x, w, b := randn(5, rows*dim), randn(6, dim), randn(7, dim)
	rms := make([]float32, rows*dim)
	rmsNoW := make([]float32, rows*dim)
	ln := make([]float32, rows*dim)
	lnNoWB := make([]float32, rows*dim)
	for r := 0; r < rows; r++ {
		row := x[r*dim : (r+1)*dim]
		ms, mean := 0.0, 0.0
		for _, v := range row {
			ms += float64(v) * float64(v)
			mean += float64(v)
		}
		ms /= dim
		mean /= dim
		variance := 0.0
		for _, v := range row {
			variance += (float64(v) - mean) * (float64(v) - mean)
		}
		variance /= dim
		for i, v := range row {
			n := float64(v) / math.Sqrt(ms+eps)
			rms[r*dim+i] = float32(n * float64(w[i]))
			rmsNoW[r*dim+i] = float32(n)
			z := (float64(v) - mean) / math.Sqrt(variance+eps)
			ln[r*dim+i] = float32(z*float64(w[i]) + float64(b[i]))
			lnNoWB[r*dim+i] = float32(z)
		}
	}
	do(t, func() error {
		xa := mlx.FromFloat32s(x, rows, dim)
		wa, ba := mlx.FromFloat32s(w), mlx.FromFloat32s(b)
		requireClose(t, rms, values(t, mlx.RMSNorm(xa, wa, eps)), 1e-5)
		requireClose(t, rmsNoW, values(t, mlx.RMSNorm(xa, nil, eps)), 1e-5)
		requireClose(t, ln, values(t, mlx.LayerNorm(xa, wa, ba, eps)), 1e-5)
		requireClose(t, lnNoWB, values(t, mlx.LayerNorm(xa, nil, nil, eps)), 1e-5)
		return nil
	})
}
