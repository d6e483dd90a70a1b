//go:build mlx

package dit

import "github.com/wanconv/wanconv/mlx"

// Arrays returns the inputs as MLX arrays (x, t, context) in the current
// scope.
func (in *Inputs) Arrays() (x, t, context *mlx.Array) {
	return mlx.FromFloat32s(in.X, in.XShape...),
		mlx.FromFloat32s(in.T, in.TShape...),
		mlx.FromFloat32s(in.Context, in.ContextShape...)
}
