package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

var allDTypes = []tensor.DType{
	tensor.F64, tensor.F32, tensor.F16, tensor.BF16, tensor.I64,
	tensor.I32, tensor.I16, tensor.I8, tensor.U8, tensor.Bool,
}

func TestRoundTripEveryDType(t *testing.T) {
	for format, w := range writers {
		t.Run(format, func(t *testing.T) {
			var tensors []Tensor
			want := map[string][]byte{}
			for i, dt := range allDTypes {
				shape := []int64{2, 3}
				data := pattern(tensor.NumBytes(shape, dt), byte(i))
				if dt == tensor.Bool {
					data = []byte{1, 0, 0, 1, 1, 0}
				}
				name := "t." + dt.Name()
				want[name] = data
				tensors = append(tensors, Tensor{Name: name, DType: dt, Shape: shape, Data: bytesData(data)})
			}
			f := writeAndOpen(t, w, tensors)
			require.Len(t, f.Tensors(), len(allDTypes))
			for i, dt := range allDTypes {
				name := "t." + dt.Name()
				in, ok := f.Lookup(name)
				require.True(t, ok)
				require.Equal(t, dt, in.DType, "tensor %d", i)
				require.Equal(t, []int64{2, 3}, in.Shape)
				require.Equal(t, want[name], readAll(t, f, name))
				sec, ok, err := f.Section(name)
				require.NoError(t, err)
				require.True(t, ok)
				got := make([]byte, sec.Size())
				_, err = sec.ReadAt(got, 0)
				require.NoError(t, err)
				require.Equal(t, want[name], got)
			}
		})
	}
}

// viewTensors share one 4×6 float32 storage holding 0..23.
func viewTensors() ([]Tensor, map[string][]float32, map[string]bool) {
	st := &Storage{DType: tensor.F32, Numel: 24, Data: bytesData(iota32(24))}
	tensors := []Tensor{
		{Name: "whole", Shape: []int64{4, 6}, Storage: st},
		{Name: "offset", Shape: []int64{2, 3}, Storage: st, StorageOffset: 5},
		{Name: "transposed", Shape: []int64{6, 4}, Stride: []int64{1, 6}, Storage: st},
		{Name: "strided", Shape: []int64{2, 2}, Stride: []int64{12, 2}, Storage: st, StorageOffset: 7},
		{Name: "broadcast", Shape: []int64{3, 2}, Stride: []int64{0, 1}, Storage: st, StorageOffset: 2},
		{Name: "scalar", Shape: []int64{}, Storage: st, StorageOffset: 23},
		{Name: "empty", Shape: []int64{0, 5}, Storage: st},
		{Name: "own", DType: tensor.F32, Shape: []int64{2}, Data: bytesData(f32s(-1, 2.5))},
	}
	want := map[string][]float32{
		"whole":  {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23},
		"offset": {5, 6, 7, 8, 9, 10},
		"transposed": {
			0, 6, 12, 18, 1, 7, 13, 19, 2, 8, 14, 20,
			3, 9, 15, 21, 4, 10, 16, 22, 5, 11, 17, 23,
		},
		"strided":   {7, 9, 19, 21},
		"broadcast": {2, 3, 2, 3, 2, 3},
		"scalar":    {23},
		"empty":     {},
		"own":       {-1, 2.5},
	}
	inPlace := map[string]bool{"whole": true, "offset": true, "scalar": true, "empty": true, "own": true}
	return tensors, want, inPlace
}

func TestRoundTripViews(t *testing.T) {
	for format, w := range writers {
		t.Run(format, func(t *testing.T) {
			tensors, want, inPlace := viewTensors()
			f := writeAndOpen(t, w, tensors)
			for name, vals := range want {
				got := readAll(t, f, name)
				require.Equal(t, f32s(vals...), got, name)
				sec, ok, err := f.Section(name)
				require.NoError(t, err)
				require.Equal(t, inPlace[name], ok, name)
				if ok {
					buf := make([]byte, sec.Size())
					_, err := sec.ReadAt(buf, 0)
					if len(buf) > 0 {
						require.NoError(t, err)
					}
					require.Equal(t, got, buf, name)
				}
			}
		})
	}
}

func TestZipLayoutAlignedAndChecksummed(t *testing.T) {
	tensors, _, _ := viewTensors()
	tensors = append(tensors, Tensor{Name: "odd", DType: tensor.U8, Shape: []int64{3}, Data: bytesData([]byte{1, 2, 3})})
	path := filepath.Join(t.TempDir(), "m.pth")
	writeZipFile(t, path, tensors)
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var names []string
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		require.Equal(t, zip.Store, zf.Method)
		if strings.HasPrefix(zf.Name, "archive/data/") {
			off, err := zf.DataOffset()
			require.NoError(t, err)
			require.Zero(t, off%64, zf.Name)
		}
		rc, err := zf.Open()
		require.NoError(t, err)
		_, err = io.Copy(io.Discard, rc) // fails with zip.ErrChecksum on a bad CRC
		require.NoError(t, err, zf.Name)
		rc.Close()
	}
	require.Equal(t, []string{
		"archive/data.pkl", "archive/.format_version", "archive/.storage_alignment", "archive/byteorder",
		"archive/data/0", "archive/data/1", "archive/data/2", "archive/version",
	}, names)
}

func TestZerosWhenDataIsNil(t *testing.T) {
	const n = 1<<20 + 3 // larger than a zero chunk, so files get a hole
	tensors := []Tensor{
		{Name: "zeros", DType: tensor.U8, Shape: []int64{n}},
		{Name: "after", DType: tensor.U8, Shape: []int64{2}, Data: bytesData([]byte{7, 9})},
	}
	for format, w := range writers {
		t.Run(format+"/file", func(t *testing.T) {
			f := writeAndOpen(t, w, tensors)
			require.Equal(t, make([]byte, n), readAll(t, f, "zeros"))
			require.Equal(t, []byte{7, 9}, readAll(t, f, "after"))
		})
	}
	t.Run("buffer", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, WriteZip(&buf, "a", tensors))
		f, err := open("buf", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		require.NoError(t, err)
		require.Equal(t, make([]byte, n), readAll(t, f, "zeros"))
		require.Equal(t, []byte{7, 9}, readAll(t, f, "after"))
	})
}

func TestWriterRejectsBadInput(t *testing.T) {
	st := &Storage{DType: tensor.F32, Numel: 4}
	cases := map[string]struct {
		tensors []Tensor
		msg     string
		kind    error
	}{
		"short data": {[]Tensor{{Name: "a", DType: tensor.F32, Shape: []int64{2}, Data: bytesData([]byte{1})}}, "wrote 1 bytes, want 8", ErrWrite},
		"long data":  {[]Tensor{{Name: "a", DType: tensor.U8, Shape: []int64{1}, Data: bytesData([]byte{1, 2})}}, "more than the 1 bytes", ErrWrite},
		"duplicate": {[]Tensor{
			{Name: "a", DType: tensor.U8, Shape: []int64{1}},
			{Name: "a", DType: tensor.U8, Shape: []int64{1}},
		}, "duplicate", ErrInvalidInput},
		"out of range view": {[]Tensor{{Name: "v", Shape: []int64{2, 2}, Stride: []int64{3, 1}, Storage: st}}, "reach byte 20 of a 16-byte storage", ErrGeometry},
		"bad dtype":         {[]Tensor{{Name: "a", Shape: []int64{1}}}, "unsupported dtype", ErrInvalidInput},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := WriteZip(io.Discard, "a", c.tensors)
			require.ErrorContains(t, err, c.msg)
			requireKind(t, err, c.kind)
			err = WriteLegacy(io.Discard, c.tensors)
			require.ErrorContains(t, err, c.msg)
			requireKind(t, err, c.kind)
		})
	}
}

func TestDeflatedEntriesAreStreamed(t *testing.T) {
	st := &plannedStorage{key: "0", Storage: &Storage{DType: tensor.F32, Numel: 24}}
	plan := &writePlan{storages: []*plannedStorage{st}, tensors: []plannedTensor{
		{name: "whole", st: st, shape: []int64{4, 6}, stride: []int64{6, 1}},
		{name: "tail", st: st, offset: 20, shape: []int64{4}, stride: []int64{1}},
		{name: "transposed", st: st, shape: []int64{6, 4}, stride: []int64{1, 6}},
	}}
	path := rawZip(t, stateDictPickle(plan, false), map[string][]byte{"data/0": iota32(24)}, zip.Deflate)
	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, iota32(24), readAll(t, f, "whole"))
	require.Equal(t, f32s(20, 21, 22, 23), readAll(t, f, "tail"))
	require.Equal(t, f32s(0, 6, 12, 18, 1, 7, 13, 19, 2, 8, 14, 20, 3, 9, 15, 21, 4, 10, 16, 22, 5, 11, 17, 23),
		readAll(t, f, "transposed"))
	_, ok, err := f.Section("whole")
	require.NoError(t, err)
	require.False(t, ok, "a compressed tensor has no in-place section")
}

func TestNestedStateDict(t *testing.T) {
	// {"epoch": 3, "state_dict": {"w": tensor}} written by hand.
	inner := viewPickle("w", 2, 0, []int64{2}, []int64{1})
	inner = inner[2 : len(inner)-1] // drop PROTO and STOP: the OrderedDict expression
	p := newPickle()
	p.op(opEmptyDict)
	p.op(opMark)
	p.str("epoch")
	p.int(3)
	p.str("state_dict")
	p.Write(inner)
	p.op(opSetItems)
	p.op(opStop)
	path := rawZip(t, p.Bytes(), map[string][]byte{"data/0": f32s(1.5, -2)}, zip.Store)
	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []tensor.Info{{Name: "w", DType: tensor.F32, Shape: []int64{2}}}, f.Tensors())
	require.Equal(t, f32s(1.5, -2), readAll(t, f, "w"))
}

func TestMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope.pth"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestSparseViewsOfLargeStorage reads views whose span exceeds the gather
// window, including ones that jump backwards, from stored and deflated
// entries.
func TestSparseViewsOfLargeStorage(t *testing.T) {
	const n = 6 << 20
	const far = 3 << 20
	data := pattern(n, 5)
	st := &plannedStorage{key: "0", Storage: &Storage{DType: tensor.U8, Numel: n}}
	plan := &writePlan{storages: []*plannedStorage{st}, tensors: []plannedTensor{
		{name: "spread", st: st, offset: 1, shape: []int64{3}, stride: []int64{far - 1}},
		{name: "zigzag", st: st, shape: []int64{2, 2}, stride: []int64{1, far}},
	}}
	want := map[string][]byte{
		"spread": {data[1], data[far], data[2*far-1]},
		"zigzag": {data[0], data[far], data[1], data[far+1]},
	}
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		path := rawZip(t, stateDictPickle(plan, false), map[string][]byte{"data/0": data}, method)
		f, err := Open(path)
		require.NoError(t, err)
		for name, w := range want {
			require.Equal(t, w, readAll(t, f, name), "%s method %d", name, method)
		}
		require.NoError(t, f.Close())
	}
}

func TestConcurrentReads(t *testing.T) {
	tensors, want, _ := viewTensors()
	f := writeAndOpen(t, writeZipFile, tensors)
	errs := make(chan error, 4*len(want))
	for range 4 {
		for name, vals := range want {
			go func() {
				got := make([]byte, 4*len(vals))
				if err := f.ReadTensor(name, got); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(got, f32s(vals...)) {
					errs <- fmt.Errorf("tensor %s: wrong bytes", name)
					return
				}
				errs <- nil
			}()
		}
	}
	for range 4 * len(want) {
		require.NoError(t, <-errs)
	}
}

// TestDeflatedEntryChecksumIsVerified: a compressed storage whose CRC-32 does
// not match its data is refused even when the tensor read stops before the
// end of the entry.
func TestDeflatedEntryChecksumIsVerified(t *testing.T) {
	st := &plannedStorage{key: "0", Storage: &Storage{DType: tensor.F32, Numel: 24}}
	plan := &writePlan{storages: []*plannedStorage{st}, tensors: []plannedTensor{
		{name: "head", st: st, shape: []int64{4}, stride: []int64{1}},
	}}
	path := rawZip(t, stateDictPickle(plan, false), map[string][]byte{"data/0": iota32(24)}, zip.Deflate)
	f, err := Open(path)
	require.NoError(t, err)
	require.Equal(t, f32s(0, 1, 2, 3), readAll(t, f, "head"))
	require.NoError(t, f.Close())

	// Flip the CRC-32 of arch/data/0 in the central directory.
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	name := []byte("arch/data/0")
	patched := false
	for i := 0; i+46 <= len(raw); i++ {
		if binary.LittleEndian.Uint32(raw[i:]) != 0x02014b50 {
			continue
		}
		n := int(binary.LittleEndian.Uint16(raw[i+28:]))
		if i+46+n <= len(raw) && bytes.Equal(raw[i+46:i+46+n], name) {
			raw[i+16] ^= 0xff
			patched = true
		}
	}
	require.True(t, patched)
	require.NoError(t, os.WriteFile(path, raw, 0o644))
	f, err = Open(path)
	require.NoError(t, err)
	defer f.Close()
	err = f.ReadTensor("head", make([]byte, 16))
	require.ErrorIs(t, err, zip.ErrChecksum)
	require.Contains(t, err.Error(), "head")
	require.Contains(t, err.Error(), "arch/data/0")
}
