package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

// bytesData streams fixed bytes as a tensor's or storage's Data.
func bytesData(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}

// f32s encodes float32 values little-endian.
func f32s(vs ...float32) []byte {
	out := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}

// iota32 is 0, 1, ..., n-1 as float32 bytes.
func iota32(n int) []byte {
	vs := make([]float32, n)
	for i := range vs {
		vs[i] = float32(i)
	}
	return f32s(vs...)
}

// pattern is n deterministic bytes that differ between neighbours.
func pattern(n int64, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31) + seed
	}
	return b
}

type writeFunc func(t *testing.T, path string, tensors []Tensor)

func writeZipFile(t *testing.T, path string, tensors []Tensor) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, WriteZip(f, "archive", tensors))
}

func writeLegacyFile(t *testing.T, path string, tensors []Tensor) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, WriteLegacy(f, tensors))
}

var writers = map[string]writeFunc{"zip": writeZipFile, "legacy": writeLegacyFile}

// writeAndOpen writes tensors with w into a temporary file and opens it.
func writeAndOpen(t *testing.T, w writeFunc, tensors []Tensor) *File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "model.pth")
	w(t, path, tensors)
	f, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// readAll reads one tensor through ReadTensor.
func readAll(t *testing.T, f *File, name string) []byte {
	t.Helper()
	in, ok := f.Lookup(name)
	require.True(t, ok, name)
	buf := make([]byte, in.NumBytes())
	require.NoError(t, f.ReadTensor(name, buf))
	return buf
}

// rawZip builds a checkpoint archive by hand: data.pkl plus the given
// entries under "arch/", compressed with method.
func rawZip(t *testing.T, pkl []byte, entries map[string][]byte, method uint16) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "arch/" + name, Method: method})
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	add("data.pkl", pkl)
	for name, data := range entries {
		add(name, data)
	}
	require.NoError(t, zw.Close())
	path := filepath.Join(t.TempDir(), "raw.pth")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

// viewPickle is the data.pkl of one tensor viewing storage "0" (f32, numel
// elements) with the given geometry; no validation is applied.
func viewPickle(name string, numel, offset int64, shape, stride []int64) []byte {
	st := &plannedStorage{key: "0", Storage: &Storage{DType: tensor.F32, Numel: numel}}
	plan := &writePlan{storages: []*plannedStorage{st}, tensors: []plannedTensor{
		{name: name, st: st, offset: offset, shape: shape, stride: stride},
	}}
	return stateDictPickle(plan, false)
}

// requireKind checks that err is an *Error of the given kind (the
// outermost *Error in its chain, the one a caller's errors.As finds) and
// returns it.
func requireKind(t *testing.T, err error, kind error) *Error {
	t.Helper()
	var e *Error
	require.ErrorAs(t, err, &e)
	require.ErrorIs(t, err, kind)
	require.Equal(t, kind, e.Kind, "%v", err)
	return e
}
