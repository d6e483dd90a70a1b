//go:build mlx

package vae

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mlx"
)

// extraReferencePath holds upstream cases reference.safetensors lacks
// (written by golden/tools/make_extra_reference.py).
var extraReferencePath = filepath.Join(filepath.Dir(golden.TinyReference()), "extra.safetensors")

// loadExtra returns the named float32 tensors of extra.safetensors with their
// shapes checked.
func loadExtra(t *testing.T, shapes map[string][]int) map[string][]float32 {
	t.Helper()
	out := make(map[string][]float32, len(shapes))
	require.NoError(t, mlx.Do(func() error {
		arrs, _, err := mlx.LoadSafetensors(extraReferencePath)
		require.NoError(t, err)
		for name, shape := range shapes {
			a, ok := arrs[name]
			require.True(t, ok, "%s lacks %s", extraReferencePath, name)
			require.Equal(t, shape, a.Shape(), name)
			out[name] = values(t, a)
		}
		return nil
	}))
	return out
}

// Non-square videos through upstream's chunked encode (first frame, then
// groups of four, trailing frames dropped) and per-frame decode.
func TestExtraReferenceEncodeDecode(t *testing.T) {
	m := loadTiny(t, "float32", Options{})
	cases := []struct {
		name                string
		video, latent, reco []int
	}{
		{"vae9", []int{3, 9, 32, 48}, []int{48, 3, 2, 3}, []int{3, 9, 32, 48}},
		{"vae7", []int{3, 7, 32, 48}, []int{48, 2, 2, 3}, []int{3, 5, 32, 48}}, // 7 = 1+4+2: last 2 frames ignored
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref := loadExtra(t, map[string][]int{
				c.name + ".input.video": c.video, c.name + ".output.latent": c.latent, c.name + ".output.video": c.reco,
			})
			require.NoError(t, mlx.Do(func() error {
				lat, err := m.Encode(mlx.FromFloat32s(ref[c.name+".input.video"], c.video...))
				require.NoError(t, err)
				require.Equal(t, c.latent, lat.Shape())
				encAbs, encRel := errStats(t, values(t, lat), ref[c.name+".output.latent"])

				rec, err := m.Decode(mlx.FromFloat32s(ref[c.name+".output.latent"], c.latent...))
				require.NoError(t, err)
				require.Equal(t, c.reco, rec.Shape())
				decAbs, decRel := errStats(t, values(t, rec), ref[c.name+".output.video"])

				t.Logf("%s float32: encode max|err| %.3g (rel %.3g); decode max|err| %.3g (rel %.3g)",
					c.name, encAbs, encRel, decAbs, decRel)
				require.LessOrEqual(t, encRel, 1e-4)
				require.LessOrEqual(t, decRel, 1e-4)
				return nil
			}))
		})
	}
}

// A three-frame latent takes the decoder's cached path for chunks 1 and 2
// (the reference's two-frame latent only reaches chunk 1).
func TestExtraReferenceDecodeThreeFrames(t *testing.T) {
	m := loadTiny(t, "float32", Options{})
	latShape, vidShape := []int{48, 3, 3, 2}, []int{3, 9, 48, 32}
	ref := loadExtra(t, map[string][]int{"vae.decode3.input.latent": latShape, "vae.decode3.output.video": vidShape})
	require.NoError(t, mlx.Do(func() error {
		rec, err := m.Decode(mlx.FromFloat32s(ref["vae.decode3.input.latent"], latShape...))
		require.NoError(t, err)
		require.Equal(t, vidShape, rec.Shape())
		maxAbs, rel := errStats(t, values(t, rec), ref["vae.decode3.output.video"])
		t.Logf("decode3 float32: max|err| %.3g (rel %.3g)", maxAbs, rel)
		require.LessOrEqual(t, rel, 1e-4)
		return nil
	}))
}
