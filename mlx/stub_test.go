//go:build !mlx

package mlx_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

func TestStubReportsUnavailable(t *testing.T) {
	require.False(t, mlx.Available())
	called := false
	err := mlx.Do(func() error { called = true; return nil })
	require.ErrorIs(t, err, mlx.ErrUnavailable)
	require.False(t, called, "Do must not run f without MLX")

	a := mlx.Add(mlx.Scalar(1), mlx.Scalar(2))
	require.False(t, a.Valid())
	_, err = a.Float32s()
	require.ErrorIs(t, err, mlx.ErrUnavailable)
	require.Len(t, mlx.Split(a, 3, 0), 3, "Split yields indexable handles even without MLX")
	require.Equal(t, "bfloat16", mlx.BFloat16.String())
}

func TestMLXBackedTestsNeedTheTag(t *testing.T) {
	t.Skip("MLX-backed tests are skipped: build with -tags mlx after `make -f mk/mlx.mk mlx-setup` (or run `make -f mk/mlx.mk mlx-test`)")
}
