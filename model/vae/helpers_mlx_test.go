//go:build mlx

package vae

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mlx"
)

var referencePath = golden.TinyReference()

// reference holds the upstream VAE inputs and outputs.
type reference struct {
	video, latent, recon []float32
}

func loadReference(t *testing.T) reference {
	t.Helper()
	var r reference
	require.NoError(t, mlx.Do(func() error {
		arrs, _, err := mlx.LoadSafetensors(referencePath)
		if err != nil {
			return err
		}
		get := func(name string, shape []int) []float32 {
			a, ok := arrs[name]
			require.True(t, ok, "reference tensor %s", name)
			require.Equal(t, shape, a.Shape(), name)
			v, err := a.Float32s()
			require.NoError(t, err)
			return v
		}
		r.video = get("vae.input.video", []int{3, 5, 32, 32})
		r.latent = get("vae.output.latent", []int{48, 2, 2, 2})
		r.recon = get("vae.output.video", []int{3, 5, 32, 32})
		return nil
	}))
	return r
}

// errStats returns max|got−ref| and that divided by the population
// standard deviation of ref.
func errStats(t *testing.T, got, ref []float32) (maxAbs, rel float64) {
	t.Helper()
	require.Len(t, got, len(ref))
	var sum, sq float64
	for i, r := range ref {
		d := math.Abs(float64(got[i]) - float64(r))
		require.False(t, math.IsNaN(d), "NaN at %d", i)
		maxAbs = math.Max(maxAbs, d)
		sum += float64(r)
		sq += float64(r) * float64(r)
	}
	n := float64(len(ref))
	std := math.Sqrt(sq/n - (sum/n)*(sum/n))
	return maxAbs, maxAbs / std
}

func values(t *testing.T, a *mlx.Array) []float32 {
	t.Helper()
	v, err := a.Float32s()
	require.NoError(t, err)
	return v
}

func loadTiny(t *testing.T, dtype string, opts Options) *Model {
	t.Helper()
	m, err := Load(filepath.Join(convertTiny(t, dtype), layout.Wanconv.VAE), opts)
	require.NoError(t, err)
	t.Cleanup(m.Free)
	return m
}
