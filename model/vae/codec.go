//go:build mlx

package vae

import (
	"fmt"

	"github.com/wanconv/wanconv/mlx"
)

// patchify folds p×p pixel blocks into channels: a [3, F, H, W] video
// becomes [1, F, H/p, W/p, 3·p·p] with channel index c·p² + r·p + q, where
// q is the row offset and r the column offset inside the block (upstream's
// "b c f (h q) (w r) -> b (c r q) f h w", channels-last). With p = 1 (the
// Wan2.1 VAE) it only moves the channels last.
func patchify(video *mlx.Array, p int) *mlx.Array {
	c, f, h, w := video.Dim(0), video.Dim(1), video.Dim(2), video.Dim(3)
	x := mlx.Reshape(video, c, f, h/p, p, w/p, p)
	x = mlx.Transpose(x, 1, 2, 4, 0, 5, 3)
	return mlx.Reshape(x, 1, f, h/p, w/p, c*p*p)
}

// unpatchify is the inverse of patchify: [1, F, h, w, 3·p·p] →
// [3, F, p·h, p·w].
func unpatchify(x *mlx.Array, p int) *mlx.Array {
	f, h, w, cpp := x.Dim(1), x.Dim(2), x.Dim(3), x.Dim(4)
	c := cpp / (p * p)
	x = mlx.Reshape(x, f, h, w, c, p, p)
	x = mlx.Transpose(x, 3, 0, 1, 5, 2, 4)
	return mlx.Reshape(x, c, f, h*p, w*p)
}

// runChunk computes one chunk in a child scope, evaluates it together with
// the stream's new caches and frees the caches they replace, so that only
// the chunk output and the caches outlive the chunk.
func runChunk(st *stream, compute func() *mlx.Array) (*mlx.Array, error) {
	before := append([]*mlx.Array(nil), st.frames...)
	out := mlx.Scoped(func() []*mlx.Array {
		res := []*mlx.Array{compute()}
		for i, a := range st.frames {
			if a != nil && a != before[i] {
				res = append(res, a)
			}
		}
		return res
	})
	if err := mlx.Eval(out...); err != nil {
		return nil, err
	}
	for i, a := range before {
		if a != nil && a != st.frames[i] {
			a.Free()
		}
	}
	return out[0], nil
}

// scopedResult runs f in a child scope so that everything it creates
// except its result is freed when it returns.
func scopedResult(f func() (*mlx.Array, error)) (*mlx.Array, error) {
	var err error
	out := mlx.Scoped(func() []*mlx.Array {
		var y *mlx.Array
		y, err = f()
		if err != nil {
			return nil
		}
		return []*mlx.Array{y}
	})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// encodeChunkFrames is how many frames upstream's encoder feeds per causal
// chunk after the first one. vae2_2.py and vae2_1.py both hard-code it
// (iter_ = 1 + (t-1)//4); it is not derived from the temporal downsampling
// flags, so it stays 4 for any configuration (for the released
// [false, true, true] both give 4).
const encodeChunkFrames = 4

// Encode maps a video [3, F, H, W] with values in [−1, 1] to its normalised
// latent [z_dim, 1 + (F−1)/4, H/s, W/s] (float32; s = 16 for Wan2.2, 8 for
// Wan2.1), as upstream's Wan2_2_VAE.encode and Wan2_1_VAE.encode: the first
// frame is encoded alone, then complete groups of four frames (trailing
// frames that do not fill a group are ignored, as upstream does); mu is
// normalised with the version's latent statistics. H and W must be
// multiples of s. Call it inside mlx.Do; the result belongs to the caller's
// scope, all intermediates are freed.
func (m *Model) Encode(video *mlx.Array) (*mlx.Array, error) {
	if video == nil || !video.Valid() {
		return nil, fmt.Errorf("vae encode: invalid video array")
	}
	sf := spatialFactor(m.arch)
	s := video.Shape()
	if len(s) != 4 || s[0] != videoChannels || s[1] < 1 || s[2] < sf || s[3] < sf || s[2]%sf != 0 || s[3]%sf != 0 {
		return nil, fmt.Errorf("vae encode: video shape %v, want [3, F ≥ 1, H, W] with H and W positive multiples of %d", s, sf)
	}
	return scopedResult(func() (*mlx.Array, error) {
		x := patchify(mlx.AsType(video, m.dtype), m.version.patch)
		st := newStream(m.enc.slotCount())
		n := 1 + (s[1]-1)/encodeChunkFrames
		chunks := make([]*mlx.Array, 0, n)
		for i := 0; i < n; i++ {
			start, stop := 0, 1
			if i > 0 {
				start, stop = 1+encodeChunkFrames*(i-1), 1+encodeChunkFrames*i
			}
			mu, err := runChunk(st, func() *mlx.Array {
				mu := m.enc.forward(mlx.SliceAxis(x, 1, start, stop), st)
				mu = mlx.Sub(mlx.AsType(mu, mlx.Float32), m.mean)
				return mlx.Mul(mu, m.invStd)
			})
			if err != nil {
				return nil, fmt.Errorf("vae encode: chunk %d (frames %d..%d): %w", i, start, stop-1, err)
			}
			chunks = append(chunks, mu)
		}
		z := mlx.Concatenate(1, chunks...)
		z = mlx.Transpose(mlx.Squeeze(z, 0), 3, 0, 1, 2)
		if err := mlx.Eval(z); err != nil {
			return nil, fmt.Errorf("vae encode: %w", err)
		}
		return z, nil
	})
}

// Decode maps a normalised latent [z_dim, F', h, w] to a video
// [3, 1 + 4(F'−1), s·h, s·w] (float32) clamped to [−1, 1], as upstream's
// Wan2_2_VAE.decode and Wan2_1_VAE.decode: the latent is denormalised and
// decoded one latent frame at a time. Call it inside mlx.Do; the result belongs to the
// caller's scope, all intermediates are freed.
func (m *Model) Decode(latent *mlx.Array) (*mlx.Array, error) {
	if latent == nil || !latent.Valid() {
		return nil, fmt.Errorf("vae decode: invalid latent array")
	}
	s := latent.Shape()
	if len(s) != 4 || s[0] != m.zDim || s[1] < 1 || s[2] < 1 || s[3] < 1 {
		return nil, fmt.Errorf("vae decode: latent shape %v, want [%d, F ≥ 1, h ≥ 1, w ≥ 1]", s, m.zDim)
	}
	return scopedResult(func() (*mlx.Array, error) {
		// Denormalise in float32 as upstream does (z / (1/std) + mean),
		// with channels last.
		z := mlx.Transpose(mlx.AsType(latent, mlx.Float32), 1, 2, 3, 0)
		z = mlx.Add(mlx.Div(z, m.invStd), m.mean)
		z = mlx.ExpandDims(mlx.AsType(z, m.dtype), 0)
		st := newStream(m.dec.slotCount())
		chunks := make([]*mlx.Array, 0, s[1])
		for i := 0; i < s[1]; i++ {
			y, err := runChunk(st, func() *mlx.Array {
				return m.dec.forward(mlx.SliceAxis(z, 1, i, i+1), st, i == 0)
			})
			if err != nil {
				return nil, fmt.Errorf("vae decode: latent frame %d: %w", i, err)
			}
			chunks = append(chunks, y)
		}
		video := unpatchify(mlx.Concatenate(1, chunks...), m.version.patch)
		video = mlx.AsType(video, mlx.Float32)
		video = mlx.Minimum(mlx.Maximum(video, mlx.Scalar(-1)), mlx.Scalar(1))
		if err := mlx.Eval(video); err != nil {
			return nil, fmt.Errorf("vae decode: %w", err)
		}
		return video, nil
	})
}
