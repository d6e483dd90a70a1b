//go:build mlx

package dit

import "github.com/wanconv/wanconv/mlx"

// block is one WanAttentionBlock.
type block struct {
	modulation    *mlx.Array // [1, 6, dim] float32
	selfAttn      attention
	crossAttn     attention
	norm3W        *mlx.Array // nil without cross_attn_norm
	norm3B        *mlx.Array
	ffnIn, ffnOut linear
}

// step carries what every block reads besides its own weights.
type step struct {
	e0      *mlx.Array // time projection per distinct timestep [U, 6, dim] float32
	tokens  *tokenIndex
	rope    rope
	mask    *mlx.Array
	context *mlx.Array // embedded text [textLen, dim]
	heads   int
	eps     float32
	dt      mlx.Dtype
}

// forward returns x after self-attention, cross-attention and the FFN, each
// added to the float32 residual stream.
func (b block) forward(x *mlx.Array, s *step) *mlx.Array {
	mod := mlx.Add(b.modulation, s.e0) // [U, 6, dim]
	parts := mlx.Split(mod, 6, 1)
	chunk := func(i int, plusOne bool) *mlx.Array {
		c := mlx.Squeeze(parts[i], 1)
		if plusOne {
			c = mlx.AddScalar(c, 1)
		}
		return s.tokens.expand(c)
	}

	h := modulate(x, chunk(1, true), chunk(0, false), s.eps)
	y := b.selfAttn.selfAttend(h, s.rope, s.mask, s.heads, s.dt, s.eps)
	x = mlx.Add(x, mlx.Mul(y, chunk(2, false)))

	normed := x
	if b.norm3W != nil {
		normed = mlx.LayerNorm(x, b.norm3W, b.norm3B, s.eps)
	}
	x = mlx.Add(x, b.crossAttn.crossAttend(normed, s.context, s.heads, s.dt, s.eps))

	h = modulate(x, chunk(4, true), chunk(3, false), s.eps)
	hidden := geluTanh(f32(b.ffnIn.apply(h, s.dt)))
	y = b.ffnOut.apply(hidden, s.dt)
	return mlx.Add(x, mlx.Mul(y, chunk(5, false)))
}

// tokenIndex maps each token to its row among the distinct timesteps.
// With a single distinct timestep, rows broadcast over tokens unchanged.
type tokenIndex struct {
	rows *mlx.Array // [seqLen] int32, nil when there is one distinct timestep
}

// expand turns per-timestep rows [U, dim] into per-token rows [seqLen, dim]
// (or leaves [1, dim] to broadcast).
func (ti *tokenIndex) expand(a *mlx.Array) *mlx.Array {
	if ti.rows == nil {
		return a
	}
	return mlx.Take(a, ti.rows, 0)
}
