//go:build mlx

package dit

import (
	"math"

	"github.com/wanconv/wanconv/mlx"
)

// attention holds the projections of a self- or cross-attention layer.
// normQ and normK are nil when the model has no q/k RMS norm.
type attention struct {
	q, k, v, o   linear
	normQ, normK *mlx.Array
}

// rope holds per-token rotations, shaped [seqLen, 1, headDim/2, 1] so that
// they broadcast over heads against q/k viewed as [seqLen, heads, headDim/2, 2].
type rope struct {
	cos, sin *mlx.Array
}

// rotate applies the rotary embedding to x [L, dim]: channel pairs (2j, 2j+1)
// are multiplied, as complex numbers, by cos + i·sin of their angle.
func (r rope) rotate(x *mlx.Array, heads int) *mlx.Array {
	l, dim := x.Dim(0), x.Dim(1)
	pairs := mlx.Split(mlx.Reshape(x, l, heads, dim/heads/2, 2), 2, -1)
	re, im := pairs[0], pairs[1]
	rotRe := mlx.Sub(mlx.Mul(re, r.cos), mlx.Mul(im, r.sin))
	rotIm := mlx.Add(mlx.Mul(re, r.sin), mlx.Mul(im, r.cos))
	return mlx.Reshape(mlx.Concatenate(-1, rotRe, rotIm), l, dim)
}

// projectQK computes the normalised query or key projection in float32.
func (a attention) projectQK(x *mlx.Array, proj linear, norm *mlx.Array, dt mlx.Dtype, eps float32) *mlx.Array {
	y := f32(proj.apply(x, dt))
	if norm == nil {
		return y
	}
	return mlx.RMSNorm(y, norm, eps)
}

// selfAttend is the block's self-attention over x [seqLen, dim] with rotary
// positions; mask (nil when there is no padding) hides padded keys.
func (a attention) selfAttend(x *mlx.Array, r rope, mask *mlx.Array, heads int, dt mlx.Dtype, eps float32) *mlx.Array {
	q := r.rotate(a.projectQK(x, a.q, a.normQ, dt, eps), heads)
	k := r.rotate(a.projectQK(x, a.k, a.normK, dt, eps), heads)
	v := a.v.apply(x, dt)
	return a.o.apply(attend(q, k, v, heads, mask, dt), dt)
}

// crossAttend lets x [seqLen, dim] attend to the embedded text ctx
// [textLen, dim]: no positions, no mask (padded text rows take part, as
// upstream).
func (a attention) crossAttend(x, ctx *mlx.Array, heads int, dt mlx.Dtype, eps float32) *mlx.Array {
	q := a.projectQK(x, a.q, a.normQ, dt, eps)
	k := a.projectQK(ctx, a.k, a.normK, dt, eps)
	v := a.v.apply(ctx, dt)
	return a.o.apply(attend(q, k, v, heads, nil, dt), dt)
}

// attend is softmax(q·kᵀ/√d)·v per head for q [Lq, dim], k, v [Lk, dim];
// it returns [Lq, dim].
func attend(q, k, v *mlx.Array, heads int, mask *mlx.Array, dt mlx.Dtype) *mlx.Array {
	lq, dim := q.Dim(0), q.Dim(1)
	headDim := dim / heads
	split := func(a *mlx.Array) *mlx.Array {
		return mlx.Transpose(mlx.Reshape(asDtype(a, dt), 1, a.Dim(0), heads, headDim), 0, 2, 1, 3)
	}
	out := mlx.SDPA(split(q), split(k), split(v), float32(1/math.Sqrt(float64(headDim))), mask)
	return mlx.Reshape(mlx.Transpose(out, 0, 2, 1, 3), lq, dim)
}
