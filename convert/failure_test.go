package convert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/tensor"
)

// requireBadInput runs a conversion of release into a fresh OUT_DIR and
// checks it fails with exit code 2, a message containing every want, and
// no OUT_DIR left behind.
func requireBadInput(t *testing.T, release string, want ...string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: release, OutDir: out})
	requireInputError(t, err)
	for _, w := range want {
		require.ErrorContains(t, err, w)
	}
	require.NoDirExists(t, out, "validation failures must not create OUT_DIR")
}

func TestMissingComponentFile(t *testing.T) {
	t.Parallel()
	rel := copyTree(t, tinyDir)
	require.NoError(t, os.Remove(filepath.Join(rel, srcVAE)))
	requireBadInput(t, rel, "Wan2.2_VAE.pth", "missing")

	rel = copyTree(t, tinyDir)
	require.NoError(t, os.Remove(filepath.Join(rel, "diffusion_pytorch_model-00002-of-00002.safetensors")))
	requireBadInput(t, rel, "diffusion_pytorch_model-00002-of-00002.safetensors")

	rel = copyTree(t, tinyDir)
	require.NoError(t, os.RemoveAll(filepath.Join(rel, "google")))
	requireBadInput(t, rel, "google/umt5-xxl")
}

func TestShapeContradictingArchitecture(t *testing.T) {
	t.Parallel()
	rel := copyTree(t, tinyDir)
	ts := ditTensors(t, rel)
	for i, td := range ts {
		if td.info.Name == "blocks.1.ffn.0.weight" {
			td.info.Shape = []int64{td.info.Shape[0] - 1, td.info.Shape[1]}
			td.data = td.data[:td.info.NumBytes()]
			ts[i] = td
		}
	}
	writeSingleDiT(t, rel, ts)
	requireBadInput(t, rel, "blocks.1.ffn.0.weight", "diffusion_pytorch_model.safetensors")
}

func TestExtraTensor(t *testing.T) {
	t.Parallel()
	rel := copyTree(t, tinyDir)
	ts := ditTensors(t, rel)
	extra := tensorData{info: tensor.Info{Name: "blocks.0.extra.weight", DType: tensor.F32, Shape: []int64{2}}, data: make([]byte, 8)}
	writeSingleDiT(t, rel, append(ts, extra))
	requireBadInput(t, rel, "blocks.0.extra.weight")
}

func TestCorruptShard(t *testing.T) {
	t.Parallel()
	rel := copyTree(t, tinyDir)
	shard := filepath.Join(rel, "diffusion_pytorch_model-00002-of-00002.safetensors")
	st, err := os.Stat(shard)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(shard, st.Size()-100))
	requireBadInput(t, rel, "diffusion_pytorch_model-00002-of-00002.safetensors")

	rel = copyTree(t, tinyDir)
	require.NoError(t, os.WriteFile(filepath.Join(rel, srcT5), []byte("PK\x03\x04 not really a zip"), 0o644))
	requireBadInput(t, rel, srcT5)
}

func TestOutputDirNotWritable(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: filepath.Join(file, "out")})
	requireInputError(t, err)
	require.ErrorContains(t, err, filepath.Join(file, "out"))
	require.ErrorContains(t, err, "not a directory")

	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: file})
	requireInputError(t, err)
	require.ErrorContains(t, err, "not a directory")

	if os.Geteuid() == 0 {
		t.Log("running as root: permission bits do not stop writes, read-only directory case skipped")
		return
	}
	ro := filepath.Join(t.TempDir(), "ro")
	require.NoError(t, os.Mkdir(ro, 0o555))
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: ro})
	requireInputError(t, err)
	require.ErrorContains(t, err, "not writable")
	require.Empty(t, treeFiles(t, ro))
}

func TestDiskFullLeavesNothing(t *testing.T) {
	t.Parallel()
	// limit: bytes the "disk" takes before failing; failing: the file being written then.
	for limit, failing := range map[int64]string{0: layout.Wanconv.DiTSingle(), 100_000: layout.Wanconv.DiTSingle(), 2_000_000: layout.Wanconv.VAE} {
		t.Run(failing, func(t *testing.T) {
			t.Parallel()
			var total int64
			e := sinkEnv(func(s sink) sink {
				// the budget is shared by all files of the run
				fs := &failingSink{sink: s, limit: limit - total, err: syscall.ENOSPC}
				return &countingSink{failingSink: fs, total: &total}
			})
			out := t.TempDir() // exists beforehand: must be left empty
			_, err := convertIn(context.Background(), Options{SrcDir: tinyDir, OutDir: out}, e)
			requireFailure(t, err)
			require.ErrorContains(t, err, "writing "+filepath.Join(out, failing)+": no space left on device")
			require.Empty(t, treeFiles(t, out), "limit %d", limit)
		})
	}
}

// countingSink tracks bytes across files so the disk fills up globally.
type countingSink struct {
	*failingSink
	total *int64
}

func (c *countingSink) WriteAt(p []byte, off int64) (int, error) {
	n, err := c.failingSink.WriteAt(p, off)
	*c.total += int64(n)
	return n, err
}

// cancellingSink cancels the run after its first write, like a SIGINT
// arriving mid-conversion.
type cancellingSink struct {
	sink
	cancel context.CancelFunc
	after  int
}

func (c *cancellingSink) WriteAt(p []byte, off int64) (int, error) {
	c.after--
	if c.after == 0 {
		c.cancel()
	}
	return c.sink.WriteAt(p, off)
}

func TestCancellationRemovesTempFiles(t *testing.T) {
	t.Parallel()
	for _, after := range []int{1, 5, 40} {
		t.Run(fmt.Sprint("after write ", after), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			e := sinkEnv(func(s sink) sink { return &cancellingSink{sink: s, cancel: cancel, after: after} })
			out := filepath.Join(t.TempDir(), "out")
			_, err := convertIn(ctx, Options{SrcDir: tinyDir, OutDir: out}, e)
			require.ErrorIs(t, err, context.Canceled)
			require.NoDirExists(t, out)
		})
	}
}

// TestOutDirIsSourceThroughSymlink: a symbolic link to the source is still
// the source, even with --force.
func TestOutDirIsSourceThroughSymlink(t *testing.T) {
	t.Parallel()
	src := copyTree(t, tinyDir)
	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(src, link))
	before := treeFiles(t, src)
	_, err := Convert(context.Background(), Options{SrcDir: src, OutDir: link, Force: true})
	requireInputError(t, err)
	require.ErrorContains(t, err, "is the source directory")
	require.Equal(t, before, treeFiles(t, src))
}

func TestFloat16OverflowWarnsAndContinues(t *testing.T) {
	t.Parallel()
	rel := copyTree(t, tinyDir)
	ts := ditTensors(t, rel)
	for i, td := range ts {
		if td.info.Name == "head.head.bias" {
			copy(td.data, f32Bytes(1e5, -7e4, 65504))
			ts[i] = td
		}
	}
	writeSingleDiT(t, rel, ts)
	out := filepath.Join(t.TempDir(), "out")
	sum, err := Convert(context.Background(), Options{SrcDir: rel, OutDir: out, ComponentDType: map[string]string{"dit": "float16"}})
	require.NoError(t, err)
	require.Contains(t, strings.Join(sum.Warnings, "\n"), "tensor head.head.bias: 2 finite value(s) overflowed to ±Inf when cast from float32 to float16")
	raw, err := os.ReadFile(filepath.Join(out, outManifest))
	require.NoError(t, err)
	require.Contains(t, string(raw), "head.head.bias: 2 finite value(s) overflowed")
}

// syncFailingSink reports an I/O error when flushed.
type syncFailingSink struct{ sink }

func (s syncFailingSink) Sync() error { return syscall.EIO }

func TestFlushFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	e := sinkEnv(func(s sink) sink { return syncFailingSink{s} })
	out := t.TempDir()
	_, err := convertIn(context.Background(), Options{SrcDir: tinyDir, OutDir: out}, e)
	requireFailure(t, err)
	require.Regexp(t, "flushing "+regexp.QuoteMeta(out)+"/[a-z0-9_-]+\\.safetensors: input/output error", err.Error())
	require.Empty(t, treeFiles(t, out))
}

// shortSource serves one tensor from a reader that ends early, like a file
// truncated after its header was read.
type shortSource struct {
	tensor.SectionSource
	victim string
}

type shortReader struct{ size int64 }

func (r shortReader) ReadAt(p []byte, off int64) (int, error) { return 0, io.ErrUnexpectedEOF }
func (r shortReader) Size() int64                             { return r.size }

func (s shortSource) Section(name string) (tensor.SectionReader, bool, error) {
	if name == s.victim {
		in, _ := s.Lookup(name)
		return shortReader{in.NumBytes()}, true, nil
	}
	return s.SectionSource.Section(name)
}

func TestReadFailureMidStreamIsBadInput(t *testing.T) {
	t.Parallel()
	e := withStorage(testStorage{wrapPth: func(_ string, s tensor.Source) tensor.Source {
		return shortSource{SectionSource: s.(tensor.SectionSource), victim: "encoder.conv1.weight"}
	}})
	out := t.TempDir()
	_, err := convertIn(context.Background(), Options{SrcDir: tinyDir, OutDir: out}, e)
	requireInputError(t, err)
	require.ErrorContains(t, err, srcVAE+": tensor encoder.conv1.weight: reading")
	require.ErrorContains(t, err, "unexpected EOF")
	require.Empty(t, treeFiles(t, out))
}

// TestForceCommitFailureRestoresPreviousOutputs: when a rename fails while
// --force replaces an earlier conversion, the earlier outputs come back
// byte for byte and no staging directory is left.
func TestForceCommitFailureRestoresPreviousOutputs(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, MaxShardSize: 600_000})
	require.NoError(t, err)
	before := snapshot(t, out)

	calls := 0
	e := withStorage(testStorage{renameWith: func(_ *safefs.OutDir, _, _ string, next func() error) error {
		calls++
		if calls == 3 {
			return errors.New("simulated rename failure")
		}
		return next()
	}})
	_, err = convertIn(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Force: true}, e)
	require.Error(t, err)
	require.ErrorContains(t, err, "simulated rename failure")
	require.Equal(t, before, snapshot(t, out), "the previous (sharded) outputs are back")
}

// snapshot maps every file under dir to its contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, rel := range treeFiles(t, dir) {
		p := filepath.Join(dir, rel)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			continue
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		files[rel] = string(b)
	}
	return files
}

// TestStaleStagingIsRemoved: a staging directory left by a killed run is
// removed by the next run (which holds OUT_DIR's lock), and said so.
func TestStaleStagingIsRemoved(t *testing.T) {
	t.Parallel()
	if !canLockDirs {
		t.Skip("directories cannot be locked on this platform; stale staging is left alone")
	}
	out := filepath.Join(t.TempDir(), "out")
	stale := filepath.Join(out, stagingPrefix+"12345")
	require.NoError(t, os.MkdirAll(stale, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(stale, "vae_mlx.safetensors"), []byte("half"), 0o644))
	var log bytes.Buffer
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Progress: &log})
	require.NoError(t, err)
	require.NoDirExists(t, stale)
	require.Contains(t, log.String(), "removed 1 staging director(ies) left by an interrupted run: "+stagingPrefix+"12345")
	for _, f := range treeFiles(t, out) {
		require.False(t, strings.HasPrefix(f, stagingPrefix), f)
	}
}

// TestConcurrentRunIsRefused: while one run holds OUT_DIR, another is
// refused with exit 2 and touches nothing.
func TestConcurrentRunIsRefused(t *testing.T) {
	t.Parallel()
	if !canLockDirs {
		t.Skip("directories cannot be locked on this platform")
	}
	out := t.TempDir()
	release, err := lockDir(out)
	require.NoError(t, err)
	defer release()
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out})
	requireInputError(t, err)
	require.ErrorContains(t, err, "another wanconv run is writing to it")
	require.Empty(t, treeFiles(t, out))
}
