//go:build mlx

package vae

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/mlx"
)

// No upstream reference exists for these inputs; the test checks what the
// upstream chunking rules imply: output lengths (1 + (F−1)/4 latent frames,
// trailing frames that do not fill a group of four ignored; 1 + 4(F'−1)
// decoded frames), causality (a prefix of complete chunks gives exactly the
// leading frames of the whole), non-square frames and determinism.
func TestChunkingRulesNonSquare(t *testing.T) {
	m := loadTiny(t, "float32", Options{})
	const h, w = 32, 48
	data := SyntheticVideo(9, h, w, 42)
	require.NoError(t, mlx.Do(func() error {
		video := mlx.FromFloat32s(data, 3, 9, h, w)
		encode := func(frames int) []float32 {
			lat, err := m.Encode(mlx.SliceAxis(video, 1, 0, frames))
			require.NoError(t, err)
			require.Equal(t, []int{48, m.LatentFrames(frames), h / 16, w / 16}, lat.Shape(), "%d frames", frames)
			return values(t, lat)
		}
		lat9 := encode(9)
		require.Equal(t, []int{48, 3, 2, 3}, []int{48, m.LatentFrames(9), 2, 3})
		lat7 := encode(7)
		lat5 := encode(5)
		lat1 := encode(1)
		require.Equal(t, 2, m.LatentFrames(7))

		// Frames 5 and 6 of a 7-frame video do not fill a chunk: upstream
		// ignores them, so the latent equals the 5-frame one.
		require.Equal(t, lat5, lat7)
		// Determinism.
		require.Equal(t, lat7, encode(7))
		// Causality: latent frames of complete chunks do not depend on
		// later frames. Layout is [48, F', 2, 3].
		framesOf := func(lat []float32, total, keep int) []float32 {
			var out []float32
			per := 2 * 3
			for c := 0; c < 48; c++ {
				out = append(out, lat[c*total*per:c*total*per+keep*per]...)
			}
			return out
		}
		require.Equal(t, framesOf(lat9, 3, 2), lat5)
		require.Equal(t, framesOf(lat9, 3, 1), lat1)

		// Decode: 1 + 4(F'−1) frames; a latent prefix decodes to the
		// leading frames of the whole.
		z := mlx.FromFloat32s(lat9, 48, 3, 2, 3)
		decode := func(latentFrames int) []float32 {
			v, err := m.Decode(mlx.SliceAxis(z, 1, 0, latentFrames))
			require.NoError(t, err)
			require.Equal(t, []int{3, m.VideoFrames(latentFrames), h, w}, v.Shape())
			return values(t, v)
		}
		dec3 := decode(3)
		dec2 := decode(2)
		dec1 := decode(1)
		videoFrames := func(v []float32, total, keep int) []float32 {
			var out []float32
			per := h * w
			for c := 0; c < 3; c++ {
				out = append(out, v[c*total*per:c*total*per+keep*per]...)
			}
			return out
		}
		require.Equal(t, videoFrames(dec3, 9, 5), dec2)
		require.Equal(t, videoFrames(dec3, 9, 1), dec1)
		require.Equal(t, dec2, decode(2))
		for _, v := range dec3 {
			require.True(t, v >= -1 && v <= 1)
		}
		return nil
	}))
}

// The chunked encoder is not a plain causal network: the first chunk
// skips the time convolutions and pads the averaging shortcut. A video
// whose later frames repeat the first one therefore still gives different
// latent frames; this guards against a chunk loop that treats every chunk
// like the first.
func TestFirstChunkIsSpecial(t *testing.T) {
	m := loadTiny(t, "float32", Options{})
	frame := SyntheticVideo(1, 16, 16, 3)
	data := make([]float32, 0, 3*5*16*16)
	for c := 0; c < 3; c++ {
		for f := 0; f < 5; f++ {
			data = append(data, frame[c*256:(c+1)*256]...)
		}
	}
	require.NoError(t, mlx.Do(func() error {
		lat, err := m.Encode(mlx.FromFloat32s(data, 3, 5, 16, 16))
		require.NoError(t, err)
		v := values(t, lat) // [48, 2, 1, 1]
		diff := 0.0
		for c := 0; c < 48; c++ {
			d := float64(v[2*c] - v[2*c+1])
			diff += d * d
		}
		require.Greater(t, diff, 1e-6)
		return nil
	}))
}
