package safetensors

import (
	"bytes"
	"encoding/binary"
	"io"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

func TestParseRejectsMalformed(t *testing.T) {
	hugeLen := make([]byte, 16)
	binary.LittleEndian.PutUint64(hugeLen, MaxHeaderSize+1)
	beyond := make([]byte, 8, 12)
	binary.LittleEndian.PutUint64(beyond, 100)
	beyond = append(beyond, "{}  "...)
	const w24 = `"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}`

	cases := []struct {
		name   string
		file   []byte
		kind   error
		tensor string
	}{
		{"empty file", nil, ErrTooShort, ""},
		{"truncated length prefix", []byte{2, 0, 0}, ErrTooShort, ""},
		{"header length beyond EOF", beyond, ErrHeaderBeyondEOF, ""},
		{"header length above cap", hugeLen, ErrHeaderTooLarge, ""},
		{"invalid JSON", image(`{"w":`, 0), ErrInvalidJSON, ""},
		{"header not an object", image(`[]`, 0), ErrInvalidJSON, ""},
		{"leading whitespace", image(` {}`, 0), ErrInvalidJSON, ""},
		{"data after header object", image(`{} {}`, 0), ErrInvalidJSON, ""},
		{"invalid UTF-8", image("{\"\xff\":{}}", 0), ErrInvalidJSON, ""},
		{"duplicate tensor key", image(`{`+w24+`,`+w24+`}`, 24), ErrDuplicateKey, "w"},
		{"duplicate field in entry", image(`{"w":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}`, 4), ErrDuplicateKey, "w"},
		{"duplicate metadata key", image(`{"__metadata__":{"a":"1","a":"2"}}`, 0), ErrDuplicateKey, "__metadata__"},
		{"duplicate __metadata__", image(`{"__metadata__":{},"__metadata__":{}}`, 0), ErrDuplicateKey, "__metadata__"},
		{"metadata not an object", image(`{"__metadata__":"x"}`, 0), ErrInvalidMetadata, "__metadata__"},
		{"metadata value not a string", image(`{"__metadata__":{"total":3}}`, 0), ErrInvalidMetadata, "__metadata__"},
		{"entry not an object", image(`{"w":3}`, 0), ErrInvalidEntry, "w"},
		{"missing field", image(`{"w":{"dtype":"F32","shape":[1]}}`, 4), ErrInvalidEntry, "w"},
		{"unknown field", image(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, 4), ErrInvalidEntry, "w"},
		{"dtype not a string", image(`{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, 4), ErrInvalidEntry, "w"},
		{"unknown dtype", image(`{"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}`, 1), ErrUnknownDType, "w"},
		{"negative dim", image(`{"w":{"dtype":"F32","shape":[-1,4],"data_offsets":[0,0]}}`, 0), ErrInvalidShape, "w"},
		{"fractional dim", image(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), ErrInvalidShape, "w"},
		{"shape not an array", image(`{"w":{"dtype":"F32","shape":4,"data_offsets":[0,16]}}`, 16), ErrInvalidShape, "w"},
		{"overflowing shape", image(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, 0), ErrShapeOverflow, "w"},
		{"dim beyond int64", image(`{"w":{"dtype":"U8","shape":[99999999999999999999],"data_offsets":[0,0]}}`, 0), ErrShapeOverflow, "w"},
		{"shape size mismatch", image(`{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}`, 20), ErrSizeMismatch, "w"},
		{"three offsets", image(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}`, 1), ErrInvalidOffsets, "w"},
		{"begin after end", image(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[2,1]}}`, 2), ErrInvalidOffsets, "w"},
		{"negative offset", image(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}`, 1), ErrInvalidOffsets, "w"},
		{"offset beyond int64", image(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,9223372036854775808]}}`, 1), ErrOffsetOutOfRange, "w"},
		{"offsets past data area", image(`{`+w24+`}`, 16), ErrOffsetOutOfRange, "w"},
		{"overlapping tensors", image(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},`+
			`"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}`, 24), ErrOverlap, "b"},
		{"gap between tensors", image(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},`+
			`"b":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}`, 24), ErrGap, "b"},
		{"gap at start", image(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}`, 16), ErrGap, "a"},
		{"trailing bytes", image(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 16), ErrTrailingBytes, ""},
		{"data without tensors", image(`{}`, 1), ErrTrailingBytes, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseBytes(tc.file)
			require.Nil(t, f)
			requireKind(t, err, tc.kind, memName, tc.tensor)
		})
	}
}

func TestParseAcceptsEdgeCases(t *testing.T) {
	// Entries out of offset order, a scalar, zero-size tensors sharing an
	// offset, metadata and space padding.
	hdr := `{"b":{"dtype":"I64","shape":[],"data_offsets":[4,12]},` +
		`"a":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]},` +
		`"z0":{"dtype":"F32","shape":[0,3],"data_offsets":[12,12]},` +
		`"z1":{"dtype":"U8","shape":[0],"data_offsets":[12,12]},` +
		`"__metadata__":{"format":"pt"}}   `
	f, err := parseBytes(image(hdr, 12))
	require.NoError(t, err)
	require.Equal(t, []tensor.Info{
		{Name: "a", DType: tensor.BF16, Shape: []int64{1, 2}},
		{Name: "b", DType: tensor.I64, Shape: []int64{}},
		{Name: "z0", DType: tensor.F32, Shape: []int64{0, 3}},
		{Name: "z1", DType: tensor.U8, Shape: []int64{0}},
	}, f.Tensors())
	require.Equal(t, map[string]string{"format": "pt"}, f.Metadata())

	dst := make([]byte, 8)
	require.NoError(t, f.ReadTensor("b", dst))
	require.Equal(t, []byte{4, 5, 6, 7, 8, 9, 10, 11}, dst)
	require.NoError(t, f.ReadTensor("z0", nil))

	empty, err := parseBytes(image(`{}`, 0))
	require.NoError(t, err)
	require.Empty(t, empty.Tensors())
	require.Nil(t, empty.Metadata())
}

func TestReadTensorErrors(t *testing.T) {
	hdr := `{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`
	img := image(hdr, 16)
	f, err := parseBytes(img)
	require.NoError(t, err)

	requireKind(t, f.ReadTensor("nope", make([]byte, 16)), ErrTensorNotFound, memName, "nope")
	requireKind(t, f.ReadTensor("w", make([]byte, 15)), ErrBufferSize, memName, "w")
	_, _, err = f.Section("nope")
	requireKind(t, err, ErrTensorNotFound, memName, "nope")

	// The file shrinks after its header was validated.
	short, err := parse(bytes.NewReader(img[:len(img)-3]), int64(len(img)), memName)
	require.NoError(t, err)
	err = short.ReadTensor("w", make([]byte, 16))
	requireKind(t, err, ErrRead, memName, "w")
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestOpenFileErrors(t *testing.T) {
	truncated := tempPath(t, "short.safetensors")
	require.NoError(t, os.WriteFile(truncated, []byte{8, 0, 0, 0}, 0o644))
	_, err := Open(truncated)
	requireKind(t, err, ErrTooShort, truncated, "")

	missing := tempPath(t, "missing.safetensors")
	_, err = Open(missing)
	requireKind(t, err, ErrRead, missing, "")
	require.ErrorIs(t, err, fs.ErrNotExist)

	dir := t.TempDir()
	_, err = Open(dir)
	requireKind(t, err, ErrNotRegular, dir, "")
}

func TestRoundTrip(t *testing.T) {
	entries := []HeaderEntry{
		{Name: "blocks.0.weight", DType: tensor.F32, Shape: []int64{2, 3}},
		{Name: "blocks.0.bias", DType: tensor.BF16, Shape: []int64{5}},
		{Name: "scalar", DType: tensor.I64, Shape: []int64{}},
		{Name: "empty", DType: tensor.U8, Shape: []int64{0, 5}},
		{Name: "a.conv", DType: tensor.F16, Shape: []int64{3, 1, 2}},
		{Name: "q.weight", DType: tensor.U32, Shape: []int64{2, 4}}, // packed quantized codes
	}
	meta := map[string]string{"format": "pt", "note": "a<b & c"}
	path := tempPath(t, "rt.safetensors")
	data := writeSafetensors(t, path, entries, meta, 7)

	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, path, f.Path())
	require.Equal(t, meta, f.Metadata())
	names := []string{}
	for _, info := range f.Tensors() {
		names = append(names, info.Name)
	}
	require.Equal(t, []string{"a.conv", "blocks.0.bias", "blocks.0.weight", "empty", "q.weight", "scalar"}, names)
	for _, e := range entries {
		info, ok := f.Lookup(e.Name)
		require.True(t, ok)
		require.Equal(t, tensor.Info{Name: e.Name, DType: e.DType, Shape: e.Shape}, info)

		dst := make([]byte, info.NumBytes())
		require.NoError(t, f.ReadTensor(e.Name, dst))
		require.Equal(t, data[e.Name], dst, e.Name)

		sec, ok, err := f.Section(e.Name)
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, info.NumBytes(), sec.Size())
		got := make([]byte, sec.Size())
		_, err = io.ReadFull(io.NewSectionReader(sec, 0, sec.Size()), got)
		require.NoError(t, err)
		require.Equal(t, data[e.Name], got, e.Name)
	}
	require.NoError(t, f.Close())
}
