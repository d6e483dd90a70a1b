//go:build mlx

package verify

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/safetensors"
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

// A file whose header the strict reader refuses (here: trailing bytes after
// the last tensor, which MLX's own loader would accept) is refused before
// MLX's loader sees it, on the descriptor path too.
func TestLoadFileChecksTheOpenedHeader(t *testing.T) {
	out := convertTiny(t, "float32")
	path := filepath.Join(out, layout.Wanconv.VAE)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 16))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	root, err := safefs.OpenRoot(out)
	require.NoError(t, err)
	defer root.Close()
	for _, byDescriptor := range []bool{true, false} {
		var buf []byte
		var arrs map[string]*mlx.Array
		require.NoError(t, mlx.Do(func() error {
			arrs, err = loadFile(root.OpenPath, path, byDescriptor, &buf)
			return nil
		}))
		freeAll(arrs)
		require.ErrorIs(t, err, safetensors.ErrTrailingBytes, "byDescriptor %v", byDescriptor)
		require.ErrorContains(t, err, path)
	}
}
