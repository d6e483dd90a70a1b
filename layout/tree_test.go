//go:build unix

package layout

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/mapping"
)

// Discovery refuses a candidate file that links outside the directory
// (naming it) instead of skipping it as missing; Shards refuses an index's
// shard that does; links inside are followed.
func TestTreeConfinesLinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "elsewhere.safetensors")
	require.NoError(t, os.WriteFile(outside, []byte("x"), 0o644))
	newDir := func() string {
		dir := t.TempDir()
		for _, name := range []string{Wanconv.T5, Wanconv.DiTShard(1, 2), Wanconv.DiTShard(2, 2)} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
		}
		index := `{"weight_map": {"a": "` + Wanconv.DiTShard(1, 2) + `", "b": "` + Wanconv.DiTShard(2, 2) + `"}}`
		require.NoError(t, os.WriteFile(filepath.Join(dir, Wanconv.DiTIndex()), []byte(index), 0o644))
		return dir
	}
	for _, rel := range []string{Wanconv.VAE, Config, ReleaseVAE} {
		dir := newDir()
		p := filepath.Join(dir, rel)
		require.NoError(t, os.Symlink(outside, p))
		_, err := Discover(dir)
		require.ErrorIs(t, err, safefs.ErrOutsideRoot, rel)
		require.ErrorContains(t, err, p+": symbolic link leads outside the directory (it resolves to ")
	}

	dir := newDir()
	tree, err := OpenTree(dir)
	require.NoError(t, err)
	defer tree.Close()
	shard := filepath.Join(dir, Wanconv.DiTShard(2, 2))
	require.NoError(t, os.Remove(shard))
	require.NoError(t, os.Symlink(outside, shard))
	_, err = tree.Shards(tree.Path(Wanconv.DiTIndex()))
	require.ErrorIs(t, err, safefs.ErrOutsideRoot)
	require.ErrorContains(t, err, shard+": symbolic link leads outside")
	require.NoError(t, os.Remove(shard))
	require.NoError(t, os.Symlink(Wanconv.DiTShard(1, 2), shard)) // inside: followed
	shards, err := tree.Shards(tree.Path(Wanconv.DiTIndex()))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, Wanconv.DiTShard(1, 2)), shard}, shards)
	require.NoError(t, os.Symlink(Wanconv.T5, filepath.Join(dir, Wanconv.VAE)))
	d, err := tree.Discover()
	require.NoError(t, err)
	vae, ok := d.Get(mapping.ComponentVAE)
	require.True(t, ok)
	require.Equal(t, filepath.Join(dir, Wanconv.VAE), vae.Path)
	_, err = tree.ReadSmall(filepath.Join(filepath.Dir(dir), "x.json"))
	require.ErrorIs(t, err, safefs.ErrOutsideRoot)
}

// A file the user names is read wherever its links lead; what it brings
// along (the config.json beside it) only from inside its directory.
func TestFileTree(t *testing.T) {
	real := filepath.Join(t.TempDir(), "real.json")
	require.NoError(t, os.WriteFile(real, []byte(`{"weight_map": {}}`), 0o644))
	dir := t.TempDir()
	named := filepath.Join(dir, "model.safetensors.index.json")
	require.NoError(t, os.Symlink(real, named))
	tree, p, err := OpenFileTree(named)
	require.NoError(t, err)
	defer tree.Close()
	require.Equal(t, named, p)
	data, err := tree.ReadSmall(p)
	require.NoError(t, err)
	require.Equal(t, `{"weight_map": {}}`, string(data))
	ok, err := tree.Regular(p)
	require.NoError(t, err)
	require.True(t, ok)
	cfg := filepath.Join(dir, Config)
	ok, err = tree.Regular(cfg)
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, os.Symlink(real, cfg))
	_, err = tree.Regular(cfg)
	require.ErrorIs(t, err, safefs.ErrOutsideRoot)
	_, err = tree.ReadSmall(cfg)
	require.ErrorIs(t, err, safefs.ErrOutsideRoot)
}
