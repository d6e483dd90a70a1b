//go:build !mlx

package vae

import "testing"

// The network tests (upstream reference match, chunking rules, layouts,
// memory) need MLX; say so instead of passing silently.
func TestNetworkNeedsMLX(t *testing.T) {
	t.Skip("VAE network tests need MLX: eval \"$(make -s -f mk/mlx.mk mlx-env)\" && go test -tags mlx ./model/vae/")
}
