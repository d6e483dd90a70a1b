//go:build !mlx

package dit

import "testing"

func TestForwardNeedsMLX(t *testing.T) {
	t.Skip("forward-pass tests need MLX: build with -tags mlx after make -f mk/mlx.mk mlx-setup")
}
