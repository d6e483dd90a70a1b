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

// YArray returns the i2v conditioning y as an MLX array in the current
// scope, nil when the inputs have none.
func (in *Inputs) YArray() *mlx.Array {
	if in.Y == nil {
		return nil
	}
	return mlx.FromFloat32s(in.Y, in.YShape...)
}
