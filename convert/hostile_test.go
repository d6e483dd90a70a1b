//go:build unix

package convert

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// Issue 10, each class of hostile release or output directory. Release
// copies are made of golden/wan2.2-tiny; "nothing written" is checked on a
// fresh OUT_DIR (it must not exist afterwards).

// TestHostileFIFOs (class 1): a named pipe as a DiT shard, the index, the
// T5 .pth, config.json or a tokenizer file is refused at once with exit 2
// naming it; without O_NONBLOCK each of these would hang in open(2).
func TestHostileFIFOs(t *testing.T) {
	t.Parallel()
	for _, rel := range []string{
		"diffusion_pytorch_model-00002-of-00002.safetensors",
		srcDiTIndex,
		srcT5,
		srcConfig,
		srcConfiguration,
		filepath.Join(srcTokenizer, "special_tokens_map.json"),
	} {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			t.Parallel()
			r := copyTree(t, tinyDir)
			p := filepath.Join(r, rel)
			require.NoError(t, os.Remove(p))
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			requireBadInput(t, r, p, "not a regular file", "named pipe")
		})
	}
}

// TestHostileLinksOutsideRelease (class 1, 2): links to files outside the
// release (a secret, /dev/zero) are never read nor published.
func TestHostileLinksOutsideRelease(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "shadow")
	require.NoError(t, os.WriteFile(secret, []byte("root:secret"), 0o600))
	for _, c := range []struct{ rel, target string }{
		{srcConfiguration, secret},
		{srcConfiguration, "relative"},
		{filepath.Join(srcTokenizer, "special_tokens_map.json"), secret},
		{filepath.Join(srcTokenizer, "passwd.json"), "/etc/passwd"},
		{filepath.Join(srcTokenizer, "zero.json"), "/dev/zero"},
		{srcT5, secret},
		{"diffusion_pytorch_model-00001-of-00002.safetensors", secret},
	} {
		t.Run(c.rel+"→"+c.target, func(t *testing.T) {
			t.Parallel()
			r := copyTree(t, tinyDir)
			p := filepath.Join(r, c.rel)
			_ = os.Remove(p)
			target := c.target
			if target == "relative" {
				target, _ = filepath.Rel(filepath.Dir(p), secret)
			}
			require.NoError(t, os.Symlink(target, p))
			requireBadInput(t, r, p, "symbolic link leads outside the directory")
		})
	}
}

// TestLinksInsideReleaseAreFollowed (classes 2, 10): a link whose target
// stays inside the release is read, and published as a regular file; the
// tokenizer folder itself may be such a link.
func TestLinksInsideReleaseAreFollowed(t *testing.T) {
	t.Parallel()
	r := copyTree(t, tinyDir)
	require.NoError(t, os.Rename(filepath.Join(r, "google"), filepath.Join(r, "tokenizers")))
	require.NoError(t, os.Mkdir(filepath.Join(r, "google"), 0o755))
	require.NoError(t, os.Symlink("../tokenizers/umt5-xxl", filepath.Join(r, srcTokenizer)))
	require.NoError(t, os.Mkdir(filepath.Join(r, "tokenizers", "extra"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(r, "tokenizers", "extra", "spiece.model"), []byte("sp"), 0o644))
	require.NoError(t, os.Symlink("../extra", filepath.Join(r, "tokenizers", "umt5-xxl", "sub")))
	require.NoError(t, os.Remove(filepath.Join(r, srcConfiguration)))
	require.NoError(t, os.Symlink(filepath.Join(r, "tokenizers", "umt5-xxl", "special_tokens_map.json"), filepath.Join(r, srcConfiguration)))

	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: r, OutDir: out})
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(tinyDir, srcTokenizer, "special_tokens_map.json"))
	require.NoError(t, err)
	for rel, content := range map[string]string{
		filepath.Join(srcTokenizer, "special_tokens_map.json"): string(want),
		filepath.Join(srcTokenizer, "sub", "spiece.model"):     "sp",
		srcConfiguration: string(want),
	} {
		fi, err := os.Lstat(filepath.Join(out, rel))
		require.NoError(t, err, rel)
		require.True(t, fi.Mode().IsRegular(), "%s is published as a regular file", rel)
		b, err := os.ReadFile(filepath.Join(out, rel))
		require.NoError(t, err)
		require.Equal(t, content, string(b), rel)
	}
}

// TestHostileTokenizerEntries (class 11): a FIFO or device inside the
// tokenizer folder, or a link there to a directory outside, is bad input.
func TestHostileTokenizerEntries(t *testing.T) {
	t.Parallel()
	r := copyTree(t, tinyDir)
	require.NoError(t, os.Symlink(t.TempDir(), filepath.Join(r, srcTokenizer, "dir")))
	requireBadInput(t, r, filepath.Join(r, srcTokenizer, "dir"), "leads outside")

	r = copyTree(t, tinyDir)
	require.NoError(t, os.Mkdir(filepath.Join(r, srcTokenizer, "sub"), 0o755))
	require.NoError(t, syscall.Mkfifo(filepath.Join(r, srcTokenizer, "sub", "p"), 0o644))
	requireBadInput(t, r, filepath.Join(r, srcTokenizer, "sub", "p"), "named pipe")

	r = copyTree(t, tinyDir)
	dev := filepath.Join(r, srcTokenizer, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
		t.Logf("mknod not permitted (%v): device case skipped", err)
		return
	}
	requireBadInput(t, r, dev, "character device")
}

// TestNoWritesThroughLinksInOutDir (class 3): OUT_DIR/google linked to
// another folder: --force neither deletes nor writes there.
func TestNoWritesThroughLinksInOutDir(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out})
	require.NoError(t, err)
	elsewhere := filepath.Join(t.TempDir(), "precious")
	require.NoError(t, os.MkdirAll(filepath.Join(elsewhere, "umt5-xxl"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(elsewhere, "umt5-xxl", "special_tokens_map.json"), []byte("mine"), 0o644))
	require.NoError(t, os.RemoveAll(filepath.Join(out, "google")))
	require.NoError(t, os.Symlink(elsewhere, filepath.Join(out, "google")))
	before := snapshot(t, elsewhere)

	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Force: true})
	requireInputError(t, err)
	require.ErrorContains(t, err, filepath.Join(out, "google")+": symbolic link inside the output directory")
	require.Equal(t, before, snapshot(t, elsewhere))
	fi, err := os.Lstat(filepath.Join(out, "google"))
	require.NoError(t, err)
	require.NotZero(t, fi.Mode()&os.ModeSymlink, "the link itself is left alone")
}

// TestForceReplacesOnlyWhatTheManifestLists (class 4): a user's files
// that look like outputs survive --force; a file no manifest lists is
// never overwritten.
func TestForceReplacesOnlyWhatTheManifestLists(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, MaxShardSize: 600_000})
	require.NoError(t, err)
	mine := map[string]string{
		"wan_model_mlx_q4.safetensors":                "user's quantized model",
		"wan_model_mlx-00009-of-00009.safetensors":    "not in the manifest",
		filepath.Join(srcTokenizer, "user-notes.txt"): "notes",
		"README.md": "readme",
	}
	for rel, content := range mine {
		require.NoError(t, os.WriteFile(filepath.Join(out, rel), []byte(content), 0o644))
	}
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Force: true})
	require.NoError(t, err)
	for rel, content := range mine {
		b, err := os.ReadFile(filepath.Join(out, rel))
		require.NoError(t, err, rel)
		require.Equal(t, content, string(b))
	}
	// the old shards (listed) are gone, the new single file is there
	require.NoFileExists(t, filepath.Join(out, "wan_model_mlx-00001-of-00002.safetensors"))
	require.FileExists(t, filepath.Join(out, "wan_model_mlx.safetensors"))

	// without a manifest, --force refuses to overwrite a same-named file
	other := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(other, srcConfig), []byte("my config"), 0o644))
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: other, Force: true})
	requireInputError(t, err)
	require.ErrorContains(t, err, filepath.Join(other, srcConfig)+" exists and no wanconv manifest lists it")
	b, err := os.ReadFile(filepath.Join(other, srcConfig))
	require.NoError(t, err)
	require.Equal(t, "my config", string(b))
	require.Equal(t, []string{srcConfig}, treeFiles(t, other))

	// a manifest naming a file wanconv never writes is refused
	require.NoError(t, os.WriteFile(filepath.Join(out, outManifest), []byte(`{"tool":"wanconv","files":[{"path":"../../etc/passwd"}]}`), 0o644))
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Force: true})
	requireInputError(t, err)
	require.ErrorContains(t, err, `lists "../../etc/passwd", which wanconv never writes`)
}

// TestOutDirNestedWithSource (class 5): OUT_DIR inside the source tree, or
// the source inside OUT_DIR, is refused even with --force.
func TestOutDirNestedWithSource(t *testing.T) {
	t.Parallel()
	r := copyTree(t, tinyDir)
	before := snapshot(t, r)
	for _, out := range []string{filepath.Join(r, srcTokenizer), filepath.Join(r, "google"), filepath.Join(r, "new", "out")} {
		_, err := Convert(context.Background(), Options{SrcDir: r, OutDir: out, Force: true})
		requireInputError(t, err)
		require.ErrorContains(t, err, "is inside the source directory")
	}
	require.Equal(t, before, snapshot(t, r))
	require.NoDirExists(t, filepath.Join(r, "new"))
	// through a link to a folder of the source
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(filepath.Join(r, "google"), link))
	_, err := Convert(context.Background(), Options{SrcDir: r, OutDir: link, Force: true})
	requireInputError(t, err)
	require.ErrorContains(t, err, "is inside the source directory")

	parent := filepath.Dir(r)
	_, err = Convert(context.Background(), Options{SrcDir: r, OutDir: parent, Force: true})
	requireInputError(t, err)
	require.ErrorContains(t, err, "is inside the output directory")
	require.Equal(t, before, snapshot(t, r))
}

// TestLockIsTakenBeforeTheExistingOutputsCheck (class 6): while one run is
// committing, a second run without --force is refused as busy; once the
// first is done, the second sees its outputs and refuses to replace them.
func TestLockIsTakenBeforeTheExistingOutputsCheck(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	reached, resume := make(chan struct{}), make(chan struct{})
	paused := commitEnv(func(step string) error {
		if step == "journal" {
			close(reached)
			<-resume
		}
		return nil
	})
	first := make(chan error)
	go func() {
		_, err := convertIn(context.Background(), Options{SrcDir: tinyDir, OutDir: out}, paused)
		first <- err
	}()
	<-reached
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out})
	requireInputError(t, err)
	require.ErrorContains(t, err, "another wanconv run is writing to it")
	close(resume)
	require.NoError(t, <-first)
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out})
	requireInputError(t, err)
	require.ErrorContains(t, err, "already holds")
}

// TestHugeSparseConfigIsRefused (class 8): a 1 GB (sparse) config.json is
// refused by its size before anything is read.
func TestHugeSparseConfigIsRefused(t *testing.T) {
	t.Parallel()
	r := copyTree(t, tinyDir)
	require.NoError(t, os.Truncate(filepath.Join(r, srcConfig), 1<<30))
	requireBadInput(t, r, filepath.Join(r, srcConfig), "file too large", "1073741824 bytes, at most 1048576 read")
}

// repackZip rewrites a zip .pth with every entry compressed with method,
// and entry dup (if not "") written twice.
func repackZip(t *testing.T, path string, method uint16, dup string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		n := 1
		if zf.Name == dup {
			n = 2
		}
		for range n {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: method})
			require.NoError(t, err)
			_, err = w.Write(data)
			require.NoError(t, err)
		}
	}
	require.NoError(t, zw.Close())
	zr.Close()
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

// TestTensorBufferIsCapped (class 8): a tensor that cannot be read in place
// (here: a deflated VAE) gets a whole-tensor buffer only up to the cap;
// past it the run fails naming file and tensor. Under the default cap the
// same release converts.
func TestTensorBufferIsCapped(t *testing.T) {
	t.Parallel()
	r := copyTree(t, tinyDir)
	repackZip(t, filepath.Join(r, srcVAE), zip.Deflate, "")
	small := realEnv()
	small.limits.maxTensorBuffer = 4096
	out := filepath.Join(t.TempDir(), "out")
	_, err := convertIn(context.Background(), Options{SrcDir: r, OutDir: out}, small)
	requireInputError(t, err)
	for _, w := range []string{filepath.Join(r, srcVAE) + ": tensor ", "is stored compressed or non-contiguous", "more than the 4096 allowed"} {
		require.ErrorContains(t, err, w)
	}
	require.NoDirExists(t, out, "validation failures must not create OUT_DIR")

	out = filepath.Join(t.TempDir(), "out")
	_, err = Convert(context.Background(), Options{SrcDir: r, OutDir: out})
	require.NoError(t, err)
}

// TestDuplicateZipEntryIsBadInput (class 9).
func TestDuplicateZipEntryIsBadInput(t *testing.T) {
	t.Parallel()
	r := copyTree(t, tinyDir)
	zr, err := zip.OpenReader(filepath.Join(r, srcT5))
	require.NoError(t, err)
	var data0 string
	for _, zf := range zr.File {
		if filepath.Base(zf.Name) == "0" && filepath.Base(filepath.Dir(zf.Name)) == "data" {
			data0 = zf.Name
		}
	}
	zr.Close()
	require.NotEmpty(t, data0)
	repackZip(t, filepath.Join(r, srcT5), zip.Store, data0)
	requireBadInput(t, r, filepath.Join(r, srcT5), `zip archive holds entry "`+data0+`" twice`)
}

// TestFailedRunLeavesNoParents (class 11): a failed run into a/b/c leaves
// no a/ behind (--max-shard-size below one byte: cmd/wanconv's
// TestSmallerHostileCases).
func TestFailedRunLeavesNoParents(t *testing.T) {
	t.Parallel()
	r := copyTree(t, tinyDir)
	require.NoError(t, os.Remove(filepath.Join(r, srcVAE)))
	base := t.TempDir()
	_, err := Convert(context.Background(), Options{SrcDir: r, OutDir: filepath.Join(base, "a", "b", "c")})
	requireInputError(t, err)
	require.NoDirExists(t, filepath.Join(base, "a"))
}
