//go:build unix

package inspect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/internal/testdirs"
	"github.com/wanconv/wanconv/layout"
)

var (
	tinyIndex  = layout.ReleaseDiTIndex
	tinyShard2 = layout.ReleaseDiTShard(2, 2)
	tinyVAE    = layout.ReleaseVAE
)

// A file of the inspected directory that links to a file outside it (a
// valid checkpoint elsewhere, /etc/passwd) is refused naming the link;
// inspecting one file, its directory is the one that confines what it
// brings along (an index's shards, the config.json beside it).
func TestLinksOutsideAreRefused(t *testing.T) {
	for name, c := range map[string]struct{ link, target string }{
		"single-file component": {tinyVAE, ""},
		"DiT shard":             {tinyShard2, ""},
		"config.json":           {configName, ""},
		"DiT shard, file named": {tinyShard2, tinyIndex},
		"config.json, file":     {configName, tinyIndex},
	} {
		t.Run(name, func(t *testing.T) {
			dir := copyRelease(t)
			p := testdirs.LinkOutside(t, dir, c.link)
			target := dir
			if c.target != "" {
				target = filepath.Join(dir, c.target)
			}
			out, errs := describe(target, Options{}, false)
			require.Empty(t, out)
			require.Contains(t, errs, p+": symbolic link leads outside the directory (it resolves to ")
			require.Contains(t, errs, "outside "+dir)
		})
	}
	dir := copyRelease(t)
	p := filepath.Join(dir, tinyVAE)
	require.NoError(t, os.Remove(p))
	require.NoError(t, os.Symlink("/etc/passwd", p))
	passwd, err := filepath.EvalSymlinks("/etc/passwd") // /private/etc/passwd on macOS
	require.NoError(t, err)
	_, errs := describe(dir, Options{}, false)
	require.Contains(t, errs, p+": symbolic link leads outside the directory (it resolves to "+passwd)
}

// Links whose targets stay inside the directory are followed; a file the
// user names may itself be a link anywhere (the user chose it).
func TestLinksInsideAreFollowed(t *testing.T) {
	dir := copyRelease(t)
	want, errs := describe(dir, Options{}, false)
	require.Empty(t, errs)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "real"), 0o755))
	for _, rel := range []string{tinyVAE, tinyShard2, configName} {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.Rename(p, filepath.Join(dir, "real", rel)))
		require.NoError(t, os.Symlink(filepath.Join("real", rel), p))
	}
	out, errs := describe(dir, Options{}, false)
	require.Empty(t, errs)
	require.Equal(t, want, out)
	require.Contains(t, out, "Wan2.2 release directory")

	named := filepath.Join(t.TempDir(), "vae.pth")
	require.NoError(t, os.Symlink(filepath.Join(dir, "real", tinyVAE), named))
	out, errs = describe(named, Options{}, false)
	require.Empty(t, errs)
	require.Contains(t, out, named)
}
