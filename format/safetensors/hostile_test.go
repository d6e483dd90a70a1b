//go:build unix

package safetensors

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFIFOsAreRefusedWithoutBlocking: a named pipe as a shard or as the
// index would block open(2) forever; it is refused naming the path.
func TestFIFOsAreRefusedWithoutBlocking(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "model.safetensors")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	_, err := Open(fifo)
	require.ErrorIs(t, err, ErrNotRegular)
	require.ErrorContains(t, err, fifo)

	idx := filepath.Join(dir, "model.safetensors.index.json")
	require.NoError(t, syscall.Mkfifo(idx, 0o644))
	_, err = OpenIndex(idx)
	require.ErrorContains(t, err, idx)
	require.ErrorContains(t, err, "not a regular file")

	require.NoError(t, os.Remove(idx))
	require.NoError(t, os.WriteFile(idx, []byte(`{"weight_map":{"a":"model.safetensors"}}`), 0o644))
	_, err = OpenIndex(idx)
	require.ErrorIs(t, err, ErrNotRegular)
	require.ErrorContains(t, err, fifo)
}
