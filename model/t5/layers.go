//go:build mlx

package t5

import (
	"math"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
)

// mostNegativeFloat32 is what masked keys' logits become (torch.finfo(float32).min).
const mostNegativeFloat32 = -math.MaxFloat32

// forward is one T5SelfAttention layer on the float32 residual stream x
// [B, L, dim]; buckets is the [L·L] bucket table and keep the [B,1,1,L] key
// mask (nil = every key is real).
func (b *block) forward(x, buckets, keep *mlx.Array, a *mapping.T5Arch, dt mlx.Dtype) *mlx.Array {
	h := rmsNorm(x, b.norm1)
	bias := positionBias(b.posEmbedding, buckets, x.Dim(1), a.NumHeads)
	x = mlx.Add(x, b.attn.forward(h, bias, keep, a, dt))
	h = rmsNorm(x, b.norm2)
	return mlx.Add(x, b.ffn.forward(h, dt))
}

// rmsNorm is T5LayerNorm in float32: x·rsqrt(mean(x²)+eps)·weight.
func rmsNorm(x, weight *mlx.Array) *mlx.Array {
	return mlx.RMSNorm(x, mlx.AsType(weight, mlx.Float32), float32(mapping.T5Eps))
}

// positionBias gathers the block's relative position table [buckets, heads]
// into the float32 bias [heads, L, L].
func positionBias(table, buckets *mlx.Array, length, heads int) *mlx.Array {
	bias := mlx.Take(mlx.AsType(table, mlx.Float32), buckets, 0) // [L·L, heads]
	return mlx.Transpose(mlx.Reshape(bias, length, length, heads), 2, 0, 1)
}

// linear computes x·wᵀ for a float32 x [.., in] and w [out, in] in the
// compute dtype dt and returns float32.
func linear(x, w *mlx.Array, dt mlx.Dtype) *mlx.Array {
	if dt != mlx.Float32 {
		if w.Dtype() != dt {
			w = mlx.AsType(w, dt)
		}
		y := mlx.Matmul(mlx.AsType(x, dt), mlx.Transpose(w))
		return mlx.AsType(y, mlx.Float32)
	}
	return mlx.Matmul(x, mlx.Transpose(mlx.AsType(w, mlx.Float32)))
}

// forward is T5Attention without 1/√d scaling: softmax(q·kᵀ + bias, masked)·v.
func (a *attention) forward(h, bias, keep *mlx.Array, arch *mapping.T5Arch, p mlx.Dtype) *mlx.Array {
	batch, length := h.Dim(0), h.Dim(1)
	heads, hd := arch.NumHeads, arch.HeadDim()
	split := func(y *mlx.Array) *mlx.Array { // [B, L, H·D] → [B, H, L, D]
		return mlx.Transpose(mlx.Reshape(y, batch, length, heads, hd), 0, 2, 1, 3)
	}
	q := split(linear(h, a.q, p))
	k := split(linear(h, a.k, p))
	v := split(linear(h, a.v, p))

	// The L×L products are cheap next to the projections: always float32.
	logits := mlx.Add(mlx.Matmul(q, mlx.Transpose(k, 0, 1, 3, 2)), bias)
	if keep != nil {
		logits = mlx.Where(keep, logits, mlx.ScalarOf(mostNegativeFloat32, mlx.Float32))
	}
	probs := mlx.Softmax(logits, true, -1)
	ctx := mlx.Matmul(probs, v) // [B, H, L, D]
	ctx = mlx.Reshape(mlx.Transpose(ctx, 0, 2, 1, 3), batch, length, heads*hd)
	return linear(ctx, a.o, p)
}

// forward is T5FeedForward: fc2(fc1(h) · gelu_tanh(gate(h))).
func (f *feedForward) forward(h *mlx.Array, p mlx.Dtype) *mlx.Array {
	inner := mlx.Mul(linear(h, f.fc1, p), geluTanh(linear(h, f.gate, p)))
	return linear(inner, f.fc2, p)
}

// geluTanh is 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
func geluTanh(x *mlx.Array) *mlx.Array {
	cube := mlx.Mul(mlx.Mul(x, x), x)
	inner := mlx.MulScalar(mlx.Add(x, mlx.MulScalar(cube, 0.044715)), math.Sqrt(2/math.Pi))
	return mlx.Mul(mlx.MulScalar(x, 0.5), mlx.AddScalar(mlx.Tanh(inner), 1))
}
