//go:build mlx

package mlx_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

// do runs f inside mlx.Do and fails the test on error.
func do(t *testing.T, f func() error) {
	t.Helper()
	require.NoError(t, mlx.Do(f))
}

// values evaluates a as float32s, failing the test on error.
func values(t *testing.T, a *mlx.Array) []float32 {
	t.Helper()
	v, err := a.Float32s()
	require.NoError(t, err)
	return v
}

// requireClose checks equal lengths and element-wise |got-want| <= tol
// (equal infinities and NaN against NaN count as exact).
func requireClose(t *testing.T, want, got []float32, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	worst, at := 0.0, -1
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		d := math.Abs(g - w)
		switch {
		case g == w, math.IsNaN(g) && math.IsNaN(w):
			d = 0
		case math.IsNaN(d):
			d = math.Inf(1)
		}
		if d > worst {
			worst, at = d, i
		}
	}
	if at >= 0 {
		require.LessOrEqualf(t, worst, tol, "max abs error %g at %d (got %g want %g)", worst, at, got[at], want[at])
	}
}

// randn returns n pseudo-random normal values from a fixed seed.
func randn(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64())
	}
	return out
}

// index returns the row-major flat index of idx in shape.
func index(shape []int, idx ...int) int {
	flat := 0
	for i, d := range shape {
		flat = flat*d + idx[i]
	}
	return flat
}
