//go:build unix

package verify

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/internal/testdirs"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// convertTinySharded converts the tiny release with the DiT split into
// shards behind an index.
func convertTinySharded(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: golden.TinyRelease(), OutDir: out, Quiet: true, MaxShardSize: 256 << 10})
	require.NoError(t, err)
	return out
}

// shardsOf lists the DiT shard names of a converted directory's index.
func shardsOf(t *testing.T, out string) []string {
	t.Helper()
	idx, err := safetensors.ReadIndex(filepath.Join(out, layout.Wanconv.DiTIndex()))
	require.NoError(t, err)
	return idx.Shards
}

// A file of the converted directory that is a link to a file outside it (a
// valid checkpoint elsewhere, /etc/passwd) is bad input: exit 2, naming
// the link and saying it leads outside; nothing of it is verified.
func TestLinksOutsideConvertedAreRefused(t *testing.T) {
	sharded := convertTinySharded(t)
	shards := shardsOf(t, sharded)
	require.GreaterOrEqual(t, len(shards), 2, "the DiT should be sharded")
	for name, rel := range map[string]string{
		"single-file component": layout.Wanconv.VAE,
		"DiT shard":             shards[len(shards)-1],
		"config.json":           layout.Config,
		"manifest":              ManifestName,
		"index":                 layout.Wanconv.DiTIndex(),
	} {
		t.Run(name, func(t *testing.T) {
			out := convertTinySharded(t)
			p := testdirs.LinkOutside(t, out, rel)
			code, stdout, stderr := runVerify(t, Options{Dir: out, Structural: true})
			require.Equal(t, ExitBadInput, code, stdout+stderr)
			require.Contains(t, stdout, p+": symbolic link leads outside the directory")
			require.Contains(t, stdout, "outside "+out)
			rep := Run(Options{Dir: out, Structural: true, Components: []mapping.Component{mapping.ComponentVAE}})
			require.Equal(t, ExitBadInput, rep.ExitCode)
			require.Contains(t, rep.Error, p)
			require.Empty(t, rep.Components)
		})
	}
	out := convertTinySharded(t)
	p := filepath.Join(out, layout.Wanconv.T5)
	require.NoError(t, os.Remove(p))
	require.NoError(t, os.Symlink("/etc/passwd", p))
	passwd, err := filepath.EvalSymlinks("/etc/passwd") // /private/etc/passwd on macOS
	require.NoError(t, err)
	code, stdout, _ := runVerify(t, Options{Dir: out, Structural: true})
	require.Equal(t, ExitBadInput, code)
	require.Contains(t, stdout, p+": symbolic link leads outside the directory (it resolves to "+passwd)
}

// A link whose target stays inside the directory is followed: the
// verifier reads the file it leads to, and the manifest's sha256 matches.
func TestLinksInsideConvertedAreFollowed(t *testing.T) {
	out := convertTinySharded(t)
	shards := shardsOf(t, out)
	require.NoError(t, os.Mkdir(filepath.Join(out, "real"), 0o755))
	for _, rel := range []string{layout.Wanconv.VAE, shards[0], layout.Config} {
		p := filepath.Join(out, rel)
		require.NoError(t, os.Rename(p, filepath.Join(out, "real", rel)))
		require.NoError(t, os.Symlink(filepath.Join("real", rel), p))
	}
	code, stdout, stderr := runVerify(t, Options{Dir: out, Structural: true})
	require.Equal(t, ExitPass, code, stdout+stderr)
	require.Contains(t, stdout, "[VAE] PASS")
	require.Contains(t, stdout, "[DIT] PASS")
}

// --source is confined to the release it names: a shard there that links
// outside is refused by the re-quantization check, naming it.
func TestQuantSourceLinkOutside(t *testing.T) {
	out := convertTinyQuantized(t, "wanconv", 8, 32)
	src := filepath.Join(t.TempDir(), "release")
	require.NoError(t, os.Mkdir(src, 0o755))
	entries, err := os.ReadDir(golden.TinyRelease())
	require.NoError(t, err)
	for _, e := range entries {
		if !e.IsDir() {
			b, err := os.ReadFile(filepath.Join(golden.TinyRelease(), e.Name()))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(src, e.Name()), b, 0o644))
		}
	}
	opts := Options{Dir: out, Structural: true, Components: []mapping.Component{mapping.ComponentDiT}, Source: src}
	code, stdout, stderr := runVerify(t, opts)
	require.Equal(t, ExitPass, code, stdout+stderr)
	p := testdirs.LinkOutside(t, src, layout.ReleaseDiTShard(2, 2))
	code, stdout, _ = runVerify(t, opts)
	require.NotEqual(t, ExitPass, code)
	require.Contains(t, stdout, p+": symbolic link leads outside the directory")
}
