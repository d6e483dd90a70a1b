//go:build unix

package safefs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// tree builds root/ with a file, a FIFO, links inside and outside, and a
// file outside the root.
func tree(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root, outside = filepath.Join(base, "root"), filepath.Join(base, "secret")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "sub", "deep"), 0o755))
	require.NoError(t, os.WriteFile(outside, []byte("secret"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(root, "sub", "deep", "a.json"), []byte(`{"a":1}`), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	require.NoError(t, os.Symlink("sub/deep/a.json", filepath.Join(root, "in.json")))
	require.NoError(t, os.Symlink(filepath.Join(root, "sub", "deep", "a.json"), filepath.Join(root, "abs-in.json")))
	require.NoError(t, os.Symlink("../secret", filepath.Join(root, "out.json")))
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(root, "zero")))
	require.NoError(t, os.Symlink("sub", filepath.Join(root, "linkdir")))
	return root, outside
}

func TestRootOpen(t *testing.T) {
	dir, _ := tree(t)
	r, err := OpenRoot(dir)
	require.NoError(t, err)
	defer r.Close()

	for _, rel := range []string{"sub/deep/a.json", "in.json", "abs-in.json", "linkdir/deep/a.json"} {
		b, err := r.ReadFile(rel, 100)
		require.NoError(t, err, rel)
		require.Equal(t, `{"a":1}`, string(b), rel)
	}
	_, err = r.Open("fifo")
	require.ErrorIs(t, err, ErrNotRegular)
	require.ErrorContains(t, err, filepath.Join(dir, "fifo")+": not a regular file (it is a named pipe (FIFO))")
	for _, rel := range []string{"out.json", "zero", "../secret", "sub/../../secret"} {
		_, err = r.Open(rel)
		require.ErrorIs(t, err, ErrOutsideRoot, rel)
	}
	_, err = r.Open("sub")
	require.ErrorIs(t, err, ErrNotRegular)
	_, err = r.Open("missing")
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, filepath.Join(dir, "missing"))
	_, err = r.ReadFile("sub/deep/a.json", 3)
	require.ErrorIs(t, err, ErrTooLarge)
	f, err := r.OpenPath(r.Path("in.json"))
	require.NoError(t, err)
	f.Close()
	_, err = r.OpenPath(filepath.Join(dir, "..", "secret"))
	require.ErrorIs(t, err, ErrOutsideRoot)
}

func TestOpenRegularRefusesFIFO(t *testing.T) {
	dir, _ := tree(t)
	_, err := OpenRegular(filepath.Join(dir, "fifo"))
	require.ErrorIs(t, err, ErrNotRegular)
	_, err = ReadFile("/dev/zero", 10)
	require.ErrorIs(t, err, ErrNotRegular)
	b, err := ReadFile(filepath.Join(dir, "in.json"), 10)
	require.NoError(t, err)
	require.Equal(t, `{"a":1}`, string(b))
}

func TestWalkFiles(t *testing.T) {
	dir, _ := tree(t)
	r, err := OpenRoot(dir)
	require.NoError(t, err)
	defer r.Close()
	files, err := r.WalkFiles("linkdir")
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join("linkdir", "deep", "a.json")}, files)

	require.NoError(t, os.Symlink("..", filepath.Join(dir, "sub", "deep", "loop")))
	_, err = r.WalkFiles("sub")
	require.ErrorIs(t, err, ErrTooMany)
	require.NoError(t, os.Remove(filepath.Join(dir, "sub", "deep", "loop")))

	require.NoError(t, os.Symlink("/etc", filepath.Join(dir, "sub", "etc")))
	_, err = r.WalkFiles("sub")
	require.ErrorIs(t, err, ErrOutsideRoot)
	require.NoError(t, os.Remove(filepath.Join(dir, "sub", "etc")))

	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "sub", "p"), 0o644))
	_, err = r.WalkFiles("sub")
	require.ErrorIs(t, err, ErrNotRegular)
	require.ErrorContains(t, err, filepath.Join(dir, "sub", "p"))
}

func TestOutDirNeverFollowsLinks(t *testing.T) {
	base := t.TempDir()
	out, elsewhere := filepath.Join(base, "out"), filepath.Join(base, "elsewhere")
	require.NoError(t, os.MkdirAll(out, 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(elsewhere, "umt5-xxl"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(elsewhere, "umt5-xxl", "keep"), []byte("mine"), 0o644))
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(out, "google")))
	require.NoError(t, os.Symlink("google", filepath.Join(out, "inlink")))
	o, err := OpenOutDir(out)
	require.NoError(t, err)
	defer o.Close()

	for name, op := range map[string]func() error{
		"create":    func() error { f, err := o.Create("google/umt5-xxl/new"); f.Close(); return err },
		"remove":    func() error { return o.Remove("google/umt5-xxl/keep") },
		"removeall": func() error { return o.RemoveAll("google/umt5-xxl") },
		"rename":    func() error { return o.Rename("google/umt5-xxl/keep", "stolen") },
		"mkdirall":  func() error { return o.MkdirAll("google/umt5-xxl/x") },
		"read":      func() error { _, err := o.ReadFile("google/umt5-xxl/keep", 10); return err },
		"in-root":   func() error { return o.Remove("inlink/umt5-xxl/keep") },
	} {
		err := op()
		require.ErrorIs(t, err, ErrLink, name)
		require.True(t, errors.Is(err, ErrLink) && IsHostile(err), name)
	}
	b, err := os.ReadFile(filepath.Join(elsewhere, "umt5-xxl", "keep"))
	require.NoError(t, err)
	require.Equal(t, "mine", string(b))
	require.NoFileExists(t, filepath.Join(elsewhere, "umt5-xxl", "new"))

	// the link itself can be renamed and removed
	require.NoError(t, o.Rename("google", "g2"))
	require.NoError(t, o.Remove("g2"))
	require.DirExists(t, elsewhere)
	require.NoError(t, o.MkdirAll("a/b"))
	f, err := o.Create("a/b/c")
	require.NoError(t, err)
	f.Close()
	_, err = o.Create("a/b/c")
	require.ErrorIs(t, err, os.ErrExist)
}
