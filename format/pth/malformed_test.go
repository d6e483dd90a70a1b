package pth

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

func TestZipMissingStorageEntry(t *testing.T) {
	pkl := viewPickle("blocks.0.w", 4, 0, []int64{4}, []int64{1})
	path := rawZip(t, pkl, map[string][]byte{"byteorder": []byte("little")}, zip.Store)
	_, err := Open(path)
	require.ErrorContains(t, err, path)
	require.ErrorContains(t, err, `tensor "blocks.0.w"`)
	require.ErrorContains(t, err, `archive entry "arch/data/0" is missing`)
	e := requireKind(t, err, ErrZip)
	require.Equal(t, [2]string{path, "blocks.0.w"}, [2]string{e.File, e.Tensor})
}

func TestZipBadGeometry(t *testing.T) {
	const huge = int64(1) << 62
	cases := map[string]struct {
		numel, offset int64
		shape, stride []int64
		entryBytes    int
		msg           string
	}{
		"offset past end":   {4, 3, []int64{2}, []int64{1}, 16, "reach byte 20 of a 16-byte storage"},
		"stride past end":   {6, 0, []int64{2, 3}, []int64{4, 1}, 24, "reach byte 28 of a 24-byte storage"},
		"stride overflow":   {6, 0, []int64{3}, []int64{huge}, 24, "overflows"},
		"offset overflow":   {6, huge, []int64{1}, []int64{1}, 24, "overflow"},
		"shape overflow":    {6, 0, []int64{huge, huge}, []int64{0, 0}, 24, "overflows"},
		"entry too short":   {6, 0, []int64{6}, []int64{1}, 20, `storage "0"`},
		"rank mismatch":     {6, 0, []int64{6}, []int64{1, 1}, 24, "size has 1 dims but stride has 2"},
		"numel beyond file": {huge, 0, []int64{2}, []int64{1}, 24, `storage "0"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			pkl := viewPickle("w", c.numel, c.offset, c.shape, c.stride)
			path := rawZip(t, pkl, map[string][]byte{"data/0": make([]byte, c.entryBytes)}, zip.Store)
			_, err := Open(path)
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, c.msg)
			requireKind(t, err, ErrGeometry)
		})
	}
}

func TestZipRejectsBadArchives(t *testing.T) {
	good := viewPickle("w", 1, 0, []int64{1}, []int64{1})
	t.Run("big endian", func(t *testing.T) {
		path := rawZip(t, good, map[string][]byte{"byteorder": []byte("big"), "data/0": make([]byte, 4)}, zip.Store)
		_, err := Open(path)
		require.ErrorContains(t, err, "big-endian")
		requireKind(t, err, ErrBigEndian)
	})
	t.Run("no data.pkl", func(t *testing.T) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		_, err := zw.Create("a/other")
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		path := filepath.Join(t.TempDir(), "x.pth")
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
		_, err = Open(path)
		require.ErrorContains(t, err, "no <folder>/data.pkl")
		requireKind(t, err, ErrNotCheckpoint)
	})
	t.Run("not a checkpoint", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "x.pth")
		require.NoError(t, os.WriteFile(path, []byte("hello world"), 0o644))
		_, err := Open(path)
		require.ErrorContains(t, err, "not a PyTorch checkpoint")
		requireKind(t, err, ErrNotCheckpoint)
	})
	t.Run("list value", func(t *testing.T) {
		pkl := []byte("\x80\x02}X\x01\x00\x00\x00a]s.")
		_, err := Open(rawZip(t, pkl, nil, zip.Store))
		require.ErrorContains(t, err, `state dict entry "a" is a list, not a tensor`)
		requireKind(t, err, ErrNotStateDict)
	})
	t.Run("top level list", func(t *testing.T) {
		_, err := Open(rawZip(t, []byte("\x80\x02]."), nil, zip.Store))
		require.ErrorContains(t, err, "checkpoint holds a list, not a dict of tensors")
		requireKind(t, err, ErrNotStateDict)
	})
	t.Run("conflicting storage types", func(t *testing.T) {
		a := &plannedStorage{key: "0", Storage: &Storage{DType: tensor.F32, Numel: 2}}
		b := &plannedStorage{key: "0", Storage: &Storage{DType: tensor.I32, Numel: 2}}
		plan := &writePlan{storages: []*plannedStorage{a}, tensors: []plannedTensor{
			{name: "a", st: a, shape: []int64{2}, stride: []int64{1}},
			{name: "b", st: b, shape: []int64{2}, stride: []int64{1}},
		}}
		_, err := Open(rawZip(t, stateDictPickle(plan, false), map[string][]byte{"data/0": make([]byte, 8)}, zip.Store))
		require.ErrorContains(t, err, `storage "0" is described both as 2 F32 and as 2 I32 elements`)
		requireKind(t, err, ErrStorage)
	})
}

func TestReadTensorErrors(t *testing.T) {
	f := writeAndOpen(t, writeZipFile, []Tensor{{Name: "w", DType: tensor.F32, Shape: []int64{2}}})
	err := f.ReadTensor("w", make([]byte, 7))
	require.ErrorContains(t, err, f.Path())
	require.ErrorContains(t, err, `tensor "w": destination holds 7 bytes, tensor needs 8`)
	e := requireKind(t, err, ErrBufferSize)
	require.Equal(t, [2]string{f.Path(), "w"}, [2]string{e.File, e.Tensor})
	err = f.ReadTensor("nope", nil)
	require.ErrorContains(t, err, `no tensor "nope"`)
	requireKind(t, err, ErrTensorNotFound)
	_, _, err = f.Section("nope")
	require.ErrorContains(t, err, `no tensor "nope"`)
	requireKind(t, err, ErrTensorNotFound)
}

// TestLegacyTruncated cuts a legacy checkpoint at every length: each cut
// must fail to open with an error, and cuts inside the storage bytes must
// say the file is truncated.
func TestLegacyTruncated(t *testing.T) {
	tensors, _, _ := viewTensors()
	var buf bytes.Buffer
	require.NoError(t, WriteLegacy(&buf, tensors))
	full := buf.Bytes()
	f, err := open("full", bytes.NewReader(full), int64(len(full)))
	require.NoError(t, err)
	require.Len(t, f.Tensors(), len(tensors))
	firstData := len(full) - (24*4 + 8 + 2*4 + 8) // two storages follow the pickles
	for n := 0; n < len(full); n++ {
		_, err := open("cut", bytes.NewReader(full[:n]), int64(n))
		require.Error(t, err, "cut at %d", n)
		if n >= firstData {
			require.ErrorContains(t, err, "file truncated", "cut at %d", n)
			require.ErrorIs(t, err, ErrTruncated, "cut at %d", n)
		}
	}
}

func TestLegacyRejectsBadHeaders(t *testing.T) {
	t.Run("magic", func(t *testing.T) {
		b := []byte("\x80\x02K\x05.")
		_, err := open("x", bytes.NewReader(b), int64(len(b)))
		require.ErrorContains(t, err, "legacy magic number missing")
		requireKind(t, err, ErrNotCheckpoint)
	})
	t.Run("big endian", func(t *testing.T) {
		sys := []byte("\x80\x02}X\x0d\x00\x00\x00little_endian\x89s.")
		b := append(legacyPreamble(), sys...)
		_, err := open("x", bytes.NewReader(b), int64(len(b)))
		require.ErrorContains(t, err, "big-endian")
		requireKind(t, err, ErrBigEndian)
	})
	t.Run("unlisted storage", func(t *testing.T) {
		st := &plannedStorage{key: "7", Storage: &Storage{DType: tensor.F32, Numel: 1}}
		plan := &writePlan{storages: []*plannedStorage{st}, tensors: []plannedTensor{
			{name: "w", st: st, shape: []int64{1}, stride: []int64{1}},
		}}
		b := legacyWith(append(stateDictPickle(plan, true), "\x80\x02]."...))
		_, err := open("x", bytes.NewReader(b), int64(len(b)))
		require.ErrorContains(t, err, `tensor "w": storage "7" is not in the file's storage list`)
		requireKind(t, err, ErrStorage)
	})
}

func TestLegacyViewMetadata(t *testing.T) {
	// A storage view (pre-1.0 torch): root "r" of 6 floats, the tensor sees
	// elements 2..5 through view metadata ("v", 2, 4) and starts 1 further.
	p := newPickle()
	p.op(opEmptyDict)
	p.str("w")
	p.global("torch._utils", "_rebuild_tensor")
	p.op(opMark)
	p.op(opMark)
	p.str("storage")
	p.global("torch", "FloatStorage")
	p.str("r")
	p.str("cpu")
	p.int(6)
	p.op(opMark)
	p.str("v")
	p.int(2)
	p.int(4)
	p.op(opTuple)
	p.op(opTuple)
	p.op(opBinPersID)
	p.int(1)
	p.intTuple([]int64{3})
	p.intTuple([]int64{1})
	p.op(opTuple)
	p.op(opReduce)
	p.op(opSetItem)
	p.op(opStop)
	keys := []byte("\x80\x02]X\x01\x00\x00\x00ra.")
	b := legacyWith(append(p.Bytes(), keys...))
	b = append(b, 6, 0, 0, 0, 0, 0, 0, 0)
	b = append(b, iota32(6)...)
	f, err := open("x", bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	require.Equal(t, f32s(3, 4, 5), readAll(t, f, "w"))
}

// TestSharedValuesNotPrinted: a pickle of 60 nested (x, x) tuples shares
// every level, so printing it would never end; errors must only name its type.
func TestSharedValuesNotPrinted(t *testing.T) {
	magic := newPickle()
	magic.long(legacyMagic)
	magic.op(opStop)
	bomb := newPickle()
	bomb.op(opNone)
	for range 60 {
		bomb.op(opDup)
		bomb.op(opTuple2)
	}
	bomb.op(opStop)
	b := append(magic.Bytes(), bomb.Bytes()...)
	_, err := open("x", bytes.NewReader(b), int64(len(b)))
	require.ErrorContains(t, err, "unsupported legacy protocol version (a tuple, want 1001)")
	requireKind(t, err, ErrUnsupported)
}
