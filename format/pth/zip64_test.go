package pth

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

// TestZip64 writes a storage larger than 4 GiB (zeros, so the file is
// sparse) and checks that the zip64 records are readable and that the
// tensor written after it is found at an offset beyond 4 GiB.
func TestZip64(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a sparse 4 GiB file; skipped in -short mode")
	}
	const big = 1<<32 + 64
	path := filepath.Join(t.TempDir(), "big.pth")
	writeZipFile(t, path, []Tensor{
		{Name: "big", DType: tensor.U8, Shape: []int64{big}},
		{Name: "after", DType: tensor.F32, Shape: []int64{2}, Data: bytesData(f32s(1, 2))},
	})
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var sizes []uint64
	for _, zf := range zr.File {
		sizes = append(sizes, zf.UncompressedSize64)
	}
	require.Contains(t, sizes, uint64(big))

	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	sec, ok, err := f.Section("big")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, int64(big), sec.Size())
	tail := make([]byte, 16)
	_, err = sec.ReadAt(tail, big-16)
	require.NoError(t, err)
	require.Equal(t, make([]byte, 16), tail)
	require.Equal(t, f32s(1, 2), readAll(t, f, "after"))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, fi.Size(), int64(big))
}
