// Package testdirs builds hostile directory shapes for tests of the
// packages that read release and converted directories.
package testdirs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// LinkOutside replaces dir/rel with a symbolic link to a valid copy of it
// in another directory and returns the link's path: a tree whose file is
// well-formed but lives outside it.
func LinkOutside(t testing.TB, dir, rel string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	copied := filepath.Join(t.TempDir(), filepath.Base(rel))
	require.NoError(t, os.WriteFile(copied, b, 0o644))
	require.NoError(t, os.Remove(p))
	require.NoError(t, os.Symlink(copied, p))
	return p
}
