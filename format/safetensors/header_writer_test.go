package safetensors

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

func TestBuildHeaderLayout(t *testing.T) {
	header, offsets, err := BuildHeader([]HeaderEntry{
		{Name: "b", DType: tensor.F32, Shape: []int64{2}},
		{Name: "a", DType: tensor.BF16, Shape: []int64{1, 3}},
		{Name: "s", DType: tensor.I64, Shape: []int64{}},
	}, map[string]string{"z": "1", "format": "pt", "<&>": "é"})
	require.NoError(t, err)
	require.Equal(t, [][2]int64{{0, 8}, {8, 14}, {14, 22}}, offsets)

	want := `{"__metadata__":{"<&>":"é","format":"pt","z":"1"},` +
		`"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"a":{"dtype":"BF16","shape":[1,3],"data_offsets":[8,14]},` +
		`"s":{"dtype":"I64","shape":[],"data_offsets":[14,22]}}`
	n := binary.LittleEndian.Uint64(header[:8])
	require.Equal(t, uint64(len(header)-8), n)
	require.Zero(t, n%8, "header length must be a multiple of 8")
	js := string(header[8:])
	require.Equal(t, want, strings.TrimRight(js, " "))
	require.Less(t, len(js)-len(want), 8, "at most 7 padding spaces")
}

func TestBuildHeaderEmpty(t *testing.T) {
	header, offsets, err := BuildHeader(nil, nil)
	require.NoError(t, err)
	require.Empty(t, offsets)
	require.Equal(t, append([]byte{8, 0, 0, 0, 0, 0, 0, 0}, "{}      "...), header)
	f, err := parseBytes(header)
	require.NoError(t, err)
	require.Empty(t, f.Tensors())
}

func TestBuildHeaderRejects(t *testing.T) {
	cases := []struct {
		name    string
		entries []HeaderEntry
		meta    map[string]string
		kind    error
		tensor  string
	}{
		{"duplicate name", []HeaderEntry{{"w", tensor.F32, []int64{1}}, {"w", tensor.F16, []int64{1}}}, nil, ErrDuplicateTensor, "w"},
		{"invalid dtype", []HeaderEntry{{"w", tensor.Invalid, []int64{1}}}, nil, ErrUnknownDType, "w"},
		{"negative dim", []HeaderEntry{{"w", tensor.F32, []int64{2, -1}}}, nil, ErrInvalidShape, "w"},
		{"overflowing shape", []HeaderEntry{{"w", tensor.F32, []int64{math.MaxInt64 / 2}}}, nil, ErrShapeOverflow, "w"},
		{"overflowing total", []HeaderEntry{
			{"a", tensor.U8, []int64{math.MaxInt64 - 1}}, {"b", tensor.U8, []int64{2}}}, nil, ErrShapeOverflow, "b"},
		{"reserved name", []HeaderEntry{{"__metadata__", tensor.F32, []int64{1}}}, nil, ErrInvalidEntry, "__metadata__"},
		{"invalid UTF-8 name", []HeaderEntry{{"w\xff", tensor.F32, []int64{1}}}, nil, ErrInvalidEntry, "w\xff"},
		{"invalid UTF-8 metadata", nil, map[string]string{"k": "\xff"}, ErrInvalidMetadata, "__metadata__"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := BuildHeader(tc.entries, tc.meta)
			require.ErrorIs(t, err, tc.kind)
			var e *Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, tc.tensor, e.Tensor)
		})
	}
}

// memWriterAt is an in-memory io.WriterAt.
type memWriterAt struct{ buf []byte }

func (m *memWriterAt) WriteAt(p []byte, off int64) (int, error) {
	if end := int(off) + len(p); end > len(m.buf) {
		m.buf = append(m.buf, make([]byte, end-len(m.buf))...)
	}
	return copy(m.buf[off:], p), nil
}

func TestWriterChecks(t *testing.T) {
	var out memWriterAt
	w, err := NewWriter(&out, []HeaderEntry{
		{Name: "a", DType: tensor.U8, Shape: []int64{3}},
		{Name: "b", DType: tensor.I16, Shape: []int64{2}},
	}, nil)
	require.NoError(t, err)

	requireKind(t, w.WriteTensor("c", []byte{1}), ErrTensorNotFound, "", "c")
	requireKind(t, w.WriteTensor("a", []byte{1, 2}), ErrBufferSize, "", "a")
	require.NoError(t, w.WriteTensor("b", []byte{1, 2, 3, 4}))
	requireKind(t, w.WriteTensor("b", []byte{1, 2, 3, 4}), ErrDuplicateTensor, "", "b")
	requireKind(t, w.Finish(), ErrIncomplete, "", "a")
	require.NoError(t, w.WriteTensor("a", []byte{9, 8, 7}))
	require.NoError(t, w.Finish())
	require.Equal(t, w.Size(), int64(len(out.buf)))

	f, err := parseBytes(out.buf)
	require.NoError(t, err)
	dst := make([]byte, 3)
	require.NoError(t, f.ReadTensor("a", dst))
	require.Equal(t, []byte{9, 8, 7}, dst)
}

// failAfter is an io.WriterAt that fails once it has accepted n writes.
type failAfter struct{ n int }

func (f *failAfter) WriteAt(p []byte, off int64) (int, error) {
	if f.n == 0 {
		return 0, errDisk
	}
	f.n--
	return len(p), nil
}

var errDisk = errors.New("disk full")

func TestWriterWriteFailures(t *testing.T) {
	entries := []HeaderEntry{{Name: "a", DType: tensor.U8, Shape: []int64{2}}}
	_, err := NewWriter(&failAfter{n: 0}, entries, nil)
	require.ErrorIs(t, err, ErrWrite)
	require.ErrorIs(t, err, errDisk)

	w, err := NewWriter(&failAfter{n: 1}, entries, nil)
	require.NoError(t, err)
	err = w.WriteTensor("a", []byte{1, 2})
	requireKind(t, err, ErrWrite, "", "a")
	require.ErrorIs(t, err, errDisk)
	requireKind(t, w.Finish(), ErrIncomplete, "", "a")
}
