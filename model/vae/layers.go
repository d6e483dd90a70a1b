//go:build mlx

package vae

import (
	"math"

	"github.com/wanconv/wanconv/mlx"
)

// cacheFrames is upstream's CACHE_T: a causal 3×3×3 convolution looks at the
// two frames before the current one.
const cacheFrames = 2

// stream is the state carried between the chunks of one Encode or Decode
// call (upstream's feat_cache list): for each stateful layer, indexed by
// the slot it got when the network was built, the input frames it still
// needs and whether it has seen its first chunk.
type stream struct {
	frames  []*mlx.Array
	started []bool
}

func newStream(slots int) *stream {
	return &stream{frames: make([]*mlx.Array, slots), started: make([]bool, slots)}
}

// slotCounter hands out stream slots while a network is built.
type slotCounter struct{ n int }

func (s *slotCounter) next() int { s.n++; return s.n - 1 }

// lastFrames returns a copy of at most n trailing frames (axis 1) of x. The
// copy (x + 0 in x's dtype) keeps a cache from pinning the whole buffer it
// was sliced from, which at full resolution is several frames per layer.
func lastFrames(x *mlx.Array, n int) *mlx.Array {
	t := x.Dim(1)
	if t > n {
		x = mlx.SliceAxis(x, 1, t-n, t)
	}
	return mlx.AddScalar(x, 0)
}

// causalConv is upstream's CausalConv3d with a kt×ks×ks kernel (odd sizes)
// and "same" padding: time is padded on the front only (kt−1 frames, that
// is 2·padding_t), space symmetrically. Between chunks it prepends the
// cached last input frames in place of the zero padding.
type causalConv struct {
	w, b   *mlx.Array // (O, kt, ks, ks, I), (O,)
	kt, ks int
	slot   int
}

func (c *causalConv) forward(x *mlx.Array, st *stream) *mlx.Array {
	front := c.kt - 1
	in := x
	prev := st.frames[c.slot]
	if prev != nil {
		in = mlx.Concatenate(1, prev, x)
		front -= prev.Dim(1)
	}
	// Upstream caches the last CACHE_T input frames, completing a one-frame
	// chunk with the previous cache's last frame: that is the tail of the
	// concatenation above.
	st.frames[c.slot] = lastFrames(in, cacheFrames)
	p := c.ks / 2
	frames := x.Dim(1)
	if !splitConvFrames || frames == 1 || c.kt == 1 {
		y := mlx.ConvGeneral(in, c.w, []int{1, 1, 1}, []int{max(front, 0), p, p}, []int{0, p, p}, nil, nil, 1, false)
		return mlx.Add(y, c.b)
	}
	// One output frame at a time: MLX's CPU convolution materialises an
	// im2col buffer of (frames·H·W) × (kt·ks·ks·C_in) values, so a whole
	// four-frame chunk at full resolution would need four times the memory.
	if front > 0 {
		in = mlx.Pad(in, []int{1}, []int{front}, []int{0}, 0)
	}
	outs := make([]*mlx.Array, frames)
	for t := range outs {
		window := mlx.SliceAxis(in, 1, t, t+c.kt)
		outs[t] = mlx.ConvGeneral(window, c.w, []int{1, 1, 1}, []int{0, p, p}, []int{0, p, p}, nil, nil, 1, false)
	}
	return mlx.Add(mlx.Concatenate(1, outs...), c.b)
}

// splitConvFrames makes causal convolutions run one output frame at a time
// (see causalConv.forward).
var splitConvFrames = true

// pointwise is a 1×1(×1) convolution, applied as a matrix product over the
// channel axis.
type pointwise struct {
	wt, b *mlx.Array // (I, O), (O,)
}

func (p *pointwise) forward(x *mlx.Array) *mlx.Array {
	return mlx.Add(mlx.Matmul(x, p.wt), p.b)
}

// rmsNorm is upstream's RMS_norm over the channel axis:
// x / max(‖x‖₂, 1e-12) · √C · γ, which equals x · rsqrt(mean(x²)) · γ.
type rmsNorm struct {
	gamma *mlx.Array // (C,)
	eps   float32
}

func newRMSNorm(gamma *mlx.Array) rmsNorm {
	c := gamma.Dim(0)
	// max(‖x‖, 1e-12) bounds Σx² below by 1e-24, i.e. mean(x²) by 1e-24/C;
	// adding that bound instead changes nothing measurable.
	return rmsNorm{gamma: gamma, eps: float32(1e-24 / float64(c))}
}

func (n rmsNorm) forward(x *mlx.Array) *mlx.Array { return mlx.RMSNorm(x, n.gamma, n.eps) }

func silu(x *mlx.Array) *mlx.Array { return mlx.Mul(x, mlx.Sigmoid(x)) }

// residualBlock is upstream's ResidualBlock: RMS, SiLU, conv, RMS, SiLU,
// (dropout, identity at inference), conv, plus a 1×1×1 shortcut when the
// width changes.
type residualBlock struct {
	norm1, norm2 rmsNorm
	conv1, conv2 causalConv
	shortcut     *pointwise
}

func (r *residualBlock) forward(x *mlx.Array, st *stream) *mlx.Array {
	h := x
	if r.shortcut != nil {
		h = r.shortcut.forward(x)
	}
	y := r.conv1.forward(silu(r.norm1.forward(x)), st)
	y = r.conv2.forward(silu(r.norm2.forward(y)), st)
	return mlx.Add(y, h)
}

// attention is upstream's AttentionBlock: single-head self-attention over
// the h·w positions of each frame, with a residual connection.
type attention struct {
	norm      rmsNorm
	qkv, proj pointwise
	scale     float32
}

func (a *attention) forward(x *mlx.Array) *mlx.Array {
	t, h, w, c := x.Dim(1), x.Dim(2), x.Dim(3), x.Dim(4)
	tokens := mlx.Reshape(x, t, h*w, c)
	qkv := a.qkv.forward(a.norm.forward(tokens))
	parts := mlx.Split(qkv, 3, -1)
	q := mlx.ExpandDims(parts[0], 1)
	k := mlx.ExpandDims(parts[1], 1)
	v := mlx.ExpandDims(parts[2], 1)
	o := mlx.SDPA(q, k, v, a.scale, nil)
	o = a.proj.forward(mlx.Reshape(o, t, h*w, c))
	return mlx.Add(x, mlx.Reshape(o, 1, t, h, w, c))
}

func attentionScale(dim int) float32 { return float32(1 / math.Sqrt(float64(dim))) }
