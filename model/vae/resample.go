//go:build mlx

package vae

import "github.com/wanconv/wanconv/mlx"

// resampleMode is upstream's Resample mode.
type resampleMode int

const (
	downsample2d resampleMode = iota
	downsample3d
	upsample2d
	upsample3d
)

// resample halves or doubles the frame size (and, in the 3d modes, the
// frame rate).
type resample struct {
	mode         resampleMode
	w, b         *mlx.Array // spatial 3×3 conv: (C, 3, 3, C), (C,)
	timeW, timeB *mlx.Array // time conv: (O, 3, 1, 1, C), (O,); nil in 2d modes
	slot         int
}

func (r *resample) forward(x *mlx.Array, st *stream) *mlx.Array {
	switch r.mode {
	case downsample2d:
		return r.downSpatial(x)
	case downsample3d:
		return r.downTime(r.downSpatial(x), st)
	case upsample2d:
		return r.upSpatial(x)
	default:
		return r.upSpatial(r.upTime(x, st))
	}
}

// perFrame applies f to the frames of x ([1, T, H, W, C]) as a batch.
func perFrame(x *mlx.Array, f func(frames *mlx.Array) *mlx.Array) *mlx.Array {
	t := x.Dim(1)
	y := f(mlx.Reshape(x, t, x.Dim(2), x.Dim(3), x.Dim(4)))
	return mlx.Reshape(y, 1, t, y.Dim(1), y.Dim(2), y.Dim(3))
}

// downSpatial pads one zero row at the bottom and one zero column on the
// right, then applies the 3×3 conv with stride 2.
func (r *resample) downSpatial(x *mlx.Array) *mlx.Array {
	return perFrame(x, func(f *mlx.Array) *mlx.Array {
		y := mlx.ConvGeneral(f, r.w, []int{2, 2}, []int{0, 0}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 1, false)
		return mlx.Add(y, r.b)
	})
}

// upSpatial repeats every pixel 2×2 (nearest neighbour; "nearest-exact" is
// the same for an integer factor) and applies the padded 3×3 conv.
func (r *resample) upSpatial(x *mlx.Array) *mlx.Array {
	x = mlx.Repeat(mlx.Repeat(x, 2, 2), 2, 3)
	return perFrame(x, func(f *mlx.Array) *mlx.Array {
		return mlx.Add(mlx.Conv2d(f, r.w, []int{1, 1}, []int{1, 1}), r.b)
	})
}

// downTime is downsample3d's time conv (kernel 3, stride 2, no padding).
// The first chunk only stores its frames and passes through unchanged;
// later chunks are prefixed with the previous chunk's last frame.
func (r *resample) downTime(x *mlx.Array, st *stream) *mlx.Array {
	prev := st.frames[r.slot]
	st.frames[r.slot] = lastFrames(x, 1)
	if !st.started[r.slot] {
		st.started[r.slot] = true
		return x
	}
	in := mlx.Concatenate(1, prev, x)
	return mlx.Add(mlx.Conv3d(in, r.timeW, []int{2, 1, 1}, []int{0, 0, 0}), r.timeB)
}

// upTime is upsample3d's time conv, a causal conv from C to 2C channels
// whose halves become two consecutive output frames. Upstream skips it on
// the first chunk (cache marker "Rep"), so it starts from zero padding on
// the second chunk and caches as a causal conv from then on.
func (r *resample) upTime(x *mlx.Array, st *stream) *mlx.Array {
	if !st.started[r.slot] {
		st.started[r.slot] = true
		return x
	}
	conv := causalConv{w: r.timeW, b: r.timeB, kt: 3, ks: 1, slot: r.slot}
	y := conv.forward(x, st)
	t, h, w, c2 := y.Dim(1), y.Dim(2), y.Dim(3), y.Dim(4)
	c := c2 / 2
	y = mlx.Reshape(y, 1, t, h, w, 2, c)
	y = mlx.Transpose(y, 0, 1, 4, 2, 3, 5)
	return mlx.Reshape(y, 1, 2*t, h, w, c)
}

// avgDown is upstream's AvgDown3D, the shortcut of a downsampling block:
// it pads the chunk's front with zero frames to a multiple of factorT,
// folds factorT×factorS×factorS neighbourhoods into channels and averages
// consecutive channel groups down to outC channels.
func avgDown(x *mlx.Array, factorT, factorS, outC int) *mlx.Array {
	t, h, w, c := x.Dim(1), x.Dim(2), x.Dim(3), x.Dim(4)
	factor := factorT * factorS * factorS
	if factor == 1 && c == outC {
		return x
	}
	if pad := (factorT - t%factorT) % factorT; pad > 0 {
		x = mlx.Pad(x, []int{1}, []int{pad}, []int{0}, 0)
		t += pad
	}
	t2, h2, w2 := t/factorT, h/factorS, w/factorS
	x = mlx.Reshape(x, t2, factorT, h2, factorS, w2, factorS, c)
	x = mlx.Transpose(x, 0, 2, 4, 6, 1, 3, 5)
	x = mlx.Reshape(x, 1, t2, h2, w2, outC, c*factor/outC)
	return mlx.Mean(x, false, -1)
}

// dupUp is upstream's DupUp3D, the shortcut of an upsampling block: every
// channel is repeated, and the copies are unfolded into factorT frames and
// factorS×factorS pixels. On the first chunk the first factorT−1 frames
// are dropped.
func dupUp(x *mlx.Array, factorT, factorS, outC int, firstChunk bool) *mlx.Array {
	t, h, w, c := x.Dim(1), x.Dim(2), x.Dim(3), x.Dim(4)
	factor := factorT * factorS * factorS
	x = mlx.Repeat(x, outC*factor/c, 4)
	x = mlx.Reshape(x, t, h, w, outC, factorT, factorS, factorS)
	x = mlx.Transpose(x, 0, 4, 1, 5, 2, 6, 3)
	x = mlx.Reshape(x, 1, t*factorT, h*factorS, w*factorS, outC)
	if firstChunk && factorT > 1 {
		x = mlx.SliceAxis(x, 1, factorT-1, t*factorT)
	}
	return x
}
