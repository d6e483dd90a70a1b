package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
)

var tinyDir = golden.TinyRelease()

// runCLI runs the wanconv command in-process.
func runCLI(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestSummaryAndProgress: without --quiet the summary goes to stdout and
// the progress (log lines: stderr is not a terminal here) to stderr.
func TestSummaryAndProgress(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, context.Background(), "--dtype", "keep", tinyDir, out)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stdout, "wanconv: 8 files, 287 tensors, 2963604 parameters, ")
	require.Contains(t, stdout, "→ "+out)
	require.Contains(t, stderr, "wanconv: staged wan_model_mlx.safetensors (")
	require.NotContains(t, stderr, "\r", "no bar off a terminal")

	code, stdout, stderr = runCLI(t, context.Background(), "--quiet", "--force", tinyDir, out)
	require.Equal(t, exitOK, code, stderr)
	require.Empty(t, stdout)
	require.Empty(t, stderr)
}

func TestVerifyFlag(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	var gotDir string
	var gotArgs []string
	orig := runVerifier
	runVerifier = func(dir string, args []string) int { gotDir, gotArgs = dir, args; return 7 }
	defer func() { runVerifier = orig }()
	code, _, stderr := runCLI(t, context.Background(), "--quiet", tinyDir, out, "--verify",
		"--verify-flags", "--json  --golden g.json")
	require.Equal(t, 7, code, stderr)
	require.Equal(t, out, gotDir)
	require.Equal(t, []string{"--json", "--golden", "g.json"}, gotArgs)

	code, _, stderr = runCLI(t, context.Background(), "--quiet", "--force", tinyDir, out, "--verify-flags", "--json")
	require.Equal(t, exitBadInput, code)
	require.Contains(t, stderr, "--verify-flags needs --verify")
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{tinyDir}, "expected PYTORCH_DIR and OUT_DIR"},
		{[]string{"--bogus", tinyDir, "x"}, "flag provided but not defined: -bogus"},
		{[]string{"--dtype", "int8", tinyDir, "x"}, "unknown dtype"},
		{[]string{"--vae-dtype", "half", tinyDir, "x"}, "--vae-dtype"},
		{[]string{"--max-shard-size", "-3", tinyDir, "x"}, "--max-shard-size"},
		{[]string{tinyDir, tinyDir}, "is the source directory"},
		{[]string{"/nonexistent/wan", filepath.Join(t.TempDir(), "o")}, "/nonexistent/wan"},
	} {
		code, _, stderr := runCLI(t, context.Background(), tc.args...)
		require.Equal(t, exitBadInput, code, strings.Join(tc.args, " "))
		require.Contains(t, stderr, tc.want)
	}
	code, stdout, _ := runCLI(t, context.Background(), "--help")
	require.Equal(t, exitOK, code)
	require.Empty(t, stdout)
}

// TestSmallerHostileCases (class 11): --max-shard-size below one byte is a
// usage error (it would read as "the default").
func TestSmallerHostileCases(t *testing.T) {
	code, _, stderr := runCLI(t, context.Background(), "--max-shard-size", "0.5", tinyDir, filepath.Join(t.TempDir(), "o"))
	require.Equal(t, exitBadInput, code)
	require.Contains(t, stderr, `--max-shard-size: invalid size "0.5": less than one byte`)
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"5GB": 5e9, "300000": 300000, "1.5MiB": 1.5 * (1 << 20), "2 kB": 2000} {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "GB", "-1", "0", "1TB", "NaN", "nanGB"} {
		_, err := parseSize(bad)
		require.Error(t, err, bad)
	}
}

// TestInterruptedRun: a cancelled conversion exits 130 with one line on
// stderr and writes nothing.
func TestInterruptedRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, ctx, tinyDir, out)
	require.Equal(t, exitInterrupted, code, stderr)
	require.Equal(t, "wanconv: interrupted; no output written\n", stderr)
	require.Empty(t, stdout)
	require.NoDirExists(t, out)
}

// TestWarningsGoToStderr: a float16 overflow is a warning on stderr, even
// with --quiet, and the conversion succeeds.
func TestWarningsGoToStderr(t *testing.T) {
	rel := copyRelease(t)
	shard := filepath.Join(rel, "diffusion_pytorch_model-00002-of-00002.safetensors")
	rewriteTensor(t, shard, "head.head.bias", func(b []byte) {
		for i, v := range []float32{1e5, -7e4, 65504} {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
	})
	code, _, stderr := runCLI(t, context.Background(), "--quiet", "--dit-dtype", "float16", rel, filepath.Join(t.TempDir(), "out"))
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, stderr, "wanconv: warning: ")
	require.Contains(t, stderr, "tensor head.head.bias: 2 finite value(s) overflowed to ±Inf when cast from float32 to float16")
}

// copyRelease copies the tiny release into a fresh temporary directory.
func copyRelease(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "release")
	require.NoError(t, os.CopyFS(dst, os.DirFS(tinyDir)))
	return dst
}

// rewriteTensor rewrites the safetensors file path with edit applied to
// one float32 tensor's bytes.
func rewriteTensor(t *testing.T, path, name string, edit func([]byte)) {
	t.Helper()
	f, err := safetensors.Open(path)
	require.NoError(t, err)
	var entries []safetensors.HeaderEntry
	data := map[string][]byte{}
	for _, in := range f.Tensors() {
		entries = append(entries, safetensors.HeaderEntry{Name: in.Name, DType: in.DType, Shape: in.Shape})
		data[in.Name] = make([]byte, in.NumBytes())
		require.NoError(t, f.ReadTensor(in.Name, data[in.Name]))
	}
	require.NoError(t, f.Close())
	require.Contains(t, data, name)
	edit(data[name])
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, fs.FileMode(0))
	require.NoError(t, err)
	defer out.Close()
	w, err := safetensors.NewWriter(out, entries, nil)
	require.NoError(t, err)
	for _, e := range entries {
		require.NoError(t, w.WriteTensor(e.Name, data[e.Name]))
	}
	require.NoError(t, w.Finish())
}

// --quantize and --group-size: bad values exit 2 with the flag named and
// nothing written; a good one converts.
func TestQuantizeFlags(t *testing.T) {
	for args, msg := range map[string]string{
		"--quantize 3":                 "wanconv: --quantize 3: want 4 or 8 bits",
		"--quantize four":              `invalid value "four" for flag -quantize`,
		"--quantize 8 --group-size 96": "wanconv: --group-size: quantization group size 96 not supported (32, 64 or 128)",
		"--group-size 32":              "wanconv: --group-size 32 needs --quantize 4 or 8",
	} {
		out := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCLI(t, context.Background(), append(strings.Fields(args), tinyDir, out)...)
		require.Equal(t, exitBadInput, code, args)
		require.Contains(t, stderr, msg, args)
		_, err := os.Stat(filepath.Join(out, "wanconv-manifest.json"))
		require.ErrorIs(t, err, fs.ErrNotExist, args)
	}
	out := filepath.Join(t.TempDir(), "q")
	code, _, stderr := runCLI(t, context.Background(), "--quiet", "--quantize", "8", "--group-size", "128", tinyDir, out)
	require.Equal(t, exitOK, code, stderr)
	cfg, err := os.ReadFile(filepath.Join(out, "config.json"))
	require.NoError(t, err)
	require.Contains(t, string(cfg), `"quantization": {"group_size": 128, "bits": 8}`)
}
