//go:build mlx

package verify

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mlx"
)

// Both ways of reading a converted file through the directory's root (MLX's
// loader on the opened descriptor, and the tensor-by-tensor copy) give the
// same arrays, bit for bit; the descriptor is named on Linux and macOS.
func TestLoadFileBothWays(t *testing.T) {
	out := convertTiny(t, "float32")
	root, err := safefs.OpenRoot(out)
	require.NoError(t, err)
	defer root.Close()
	path := filepath.Join(out, layout.Wanconv.VAE)

	f, err := root.OpenPath(path)
	require.NoError(t, err)
	_, named := descriptorPath(f)
	f.Close()
	if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
		require.True(t, named, "the opened file's descriptor has a name here")
	}

	require.NoError(t, mlx.Do(func() error {
		var buf []byte
		a, err := loadFile(root.OpenPath, path, true, &buf)
		require.NoError(t, err)
		defer freeAll(a)
		b, err := loadFile(root.OpenPath, path, false, &buf)
		require.NoError(t, err)
		defer freeAll(b)
		require.Len(t, b, len(a))
		require.Greater(t, len(a), 100)
		for name, x := range a {
			y, ok := b[name]
			require.True(t, ok, name)
			require.Equal(t, x.Shape(), y.Shape(), name)
			require.Equal(t, x.Dtype(), y.Dtype(), name)
			xs, err := x.Float32s()
			require.NoError(t, err)
			ys, err := y.Float32s()
			require.NoError(t, err)
			require.Equal(t, xs, ys, name)
		}
		return nil
	}))
}
