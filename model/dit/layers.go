//go:build mlx

package dit

import (
	"math"

	"github.com/wanconv/wanconv/mlx"
)

// linear is a dense layer y = x·Wᵀ + b with W [out, in] and b [out].
type linear struct {
	w, b *mlx.Array
	q    *quantLinear // non-nil: w holds MLX-quantized codes (quantized.go)
}

// apply runs the layer in dtype dt: the input, weight and bias are converted
// to dt where they differ (inside the graph, so a narrower stored weight is
// widened only while this forward pass needs it).
func (l linear) apply(x *mlx.Array, dt mlx.Dtype) *mlx.Array {
	if l.q != nil {
		return l.applyQuantized(x, dt)
	}
	return mlx.Addmm(asDtype(l.b, dt), asDtype(x, dt), mlx.Transpose(asDtype(l.w, dt)), 1, 1)
}

// asDtype converts a to dt, or returns a when it already has that dtype.
func asDtype(a *mlx.Array, dt mlx.Dtype) *mlx.Array {
	if a.Dtype() == dt {
		return a
	}
	return mlx.AsType(a, dt)
}

func f32(a *mlx.Array) *mlx.Array { return asDtype(a, mlx.Float32) }

// silu is x·σ(x).
func silu(x *mlx.Array) *mlx.Array { return mlx.Mul(x, mlx.Sigmoid(x)) }

// geluTanh is PyTorch's GELU(approximate='tanh'):
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
func geluTanh(x *mlx.Array) *mlx.Array {
	cube := mlx.Mul(mlx.Square(x), x)
	inner := mlx.MulScalar(mlx.Add(x, mlx.MulScalar(cube, 0.044715)), math.Sqrt(2/math.Pi))
	return mlx.Mul(mlx.MulScalar(x, 0.5), mlx.AddScalar(mlx.Tanh(inner), 1))
}

// modulate is LN(x)·(1 + scale) + shift with a non-affine float32 layer norm;
// onePlusScale already holds 1 + scale.
func modulate(x, onePlusScale, shift *mlx.Array, eps float32) *mlx.Array {
	return mlx.Add(mlx.Mul(mlx.LayerNorm(f32(x), nil, nil, eps), onePlusScale), shift)
}
