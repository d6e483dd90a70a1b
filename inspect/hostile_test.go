//go:build unix

package inspect

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// copyRelease copies the tiny release's top-level files into a temporary
// directory (enough for inspect).
func copyRelease(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(tinyDir)
	require.NoError(t, err)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(tinyDir, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644))
	}
	return dst
}

// TestHostileInputs (issue 10, classes 1 and 8): a FIFO as a shard or a
// .pth is refused at once (it would hang open(2)); a FIFO config.json is
// not a config file (ignored, as a missing one); a 1 GB sparse config.json
// is refused by its size instead of read whole.
func TestHostileInputs(t *testing.T) {
	dir := copyRelease(t)
	require.NoError(t, os.Remove(filepath.Join(dir, "config.json")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "config.json"), 0o644))
	out, errs := describe(dir, Options{}, false)
	require.Empty(t, errs)
	require.Contains(t, out, "Wan2.2 release directory")

	for rel, want := range map[string]string{
		"diffusion_pytorch_model-00002-of-00002.safetensors": "not a regular file",
		"Wan2.2_VAE.pth": "no vae component found", // not a regular file: not a component file
	} {
		dir := copyRelease(t)
		p := filepath.Join(dir, rel)
		require.NoError(t, os.Remove(p))
		require.NoError(t, syscall.Mkfifo(p, 0o644))
		_, errs := describe(dir, Options{}, false)
		require.NotEmpty(t, errs, rel)
		require.Contains(t, errs, want, rel)
	}
	// named directly, a FIFO is refused naming it
	dir = copyRelease(t)
	p := filepath.Join(dir, "Wan2.2_VAE.pth")
	require.NoError(t, os.Remove(p))
	require.NoError(t, syscall.Mkfifo(p, 0o644))
	_, errs = describe(p, Options{}, false)
	require.NotEmpty(t, errs)
	require.Contains(t, errs, p)
	dir = copyRelease(t)
	require.NoError(t, os.Truncate(filepath.Join(dir, "config.json"), 1<<30))
	_, errs = describe(dir, Options{}, false)
	require.NotEmpty(t, errs)
	require.Contains(t, errs, "file too large")
}
