package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/wanconv/wanconv/tensor"
)

// HeaderEntry describes one tensor to be written.
type HeaderEntry struct {
	Name  string
	DType tensor.DType
	Shape []int64
}

// BuildHeader lays out a safetensors file holding entries, in the given
// order, with their data packed contiguously from offset 0 of the data area.
//
// The returned header includes the 8-byte little-endian length prefix, so
// tensor i's bytes belong at file offset len(header)+offsets[i][0] up to
// len(header)+offsets[i][1]. The JSON is deterministic: "__metadata__" first
// (omitted when metadata is empty) with its keys in increasing byte order,
// then the tensors in the given order, each as
// {"dtype":…,"shape":[…],"data_offsets":[begin,end]} in that key order; no
// insignificant whitespace except trailing spaces that pad the JSON to a
// multiple of 8 bytes, so the data area starts 8-byte aligned.
func BuildHeader(entries []HeaderEntry, metadata map[string]string) (header []byte, offsets [][2]int64, err error) {
	var js bytes.Buffer
	js.WriteByte('{')
	if len(metadata) > 0 {
		writeJSONString(&js, metadataKey)
		js.WriteString(":{")
		for i, k := range slices.Sorted(maps.Keys(metadata)) {
			if !utf8.ValidString(k) || !utf8.ValidString(metadata[k]) {
				return nil, nil, &Error{Tensor: metadataKey, Kind: ErrInvalidMetadata,
					Detail: fmt.Sprintf("key %q or its value is not valid UTF-8", k)}
			}
			if i > 0 {
				js.WriteByte(',')
			}
			writeJSONString(&js, k)
			js.WriteByte(':')
			writeJSONString(&js, metadata[k])
		}
		js.WriteByte('}')
	}
	offsets = make([][2]int64, len(entries))
	seen := make(map[string]bool, len(entries))
	var end int64
	for i, e := range entries {
		size, err := checkHeaderEntry(e, seen)
		if err != nil {
			return nil, nil, err
		}
		if size > math.MaxInt64-end {
			return nil, nil, &Error{Tensor: e.Name, Kind: ErrShapeOverflow, Detail: "total data size overflows int64"}
		}
		offsets[i] = [2]int64{end, end + size}
		end += size
		if i > 0 || len(metadata) > 0 {
			js.WriteByte(',')
		}
		writeJSONString(&js, e.Name)
		js.WriteString(`:{"dtype":`)
		writeJSONString(&js, e.DType.String())
		js.WriteString(`,"shape":`)
		writeInts(&js, e.Shape...)
		js.WriteString(`,"data_offsets":`)
		writeInts(&js, offsets[i][0], offsets[i][1])
		js.WriteByte('}')
	}
	js.WriteByte('}')
	for js.Len()%8 != 0 {
		js.WriteByte(' ')
	}
	if js.Len() > MaxHeaderSize {
		return nil, nil, &Error{Kind: ErrHeaderTooLarge, Detail: fmt.Sprintf("%d bytes, limit %d", js.Len(), MaxHeaderSize)}
	}
	header = make([]byte, lengthPrefix, lengthPrefix+js.Len())
	binary.LittleEndian.PutUint64(header, uint64(js.Len()))
	return append(header, js.Bytes()...), offsets, nil
}

// checkHeaderEntry validates one entry and returns its data size.
func checkHeaderEntry(e HeaderEntry, seen map[string]bool) (int64, error) {
	switch {
	case e.Name == metadataKey:
		return 0, &Error{Tensor: e.Name, Kind: ErrInvalidEntry, Detail: "the name is reserved for metadata"}
	case !utf8.ValidString(e.Name):
		return 0, &Error{Tensor: e.Name, Kind: ErrInvalidEntry, Detail: "the name is not valid UTF-8"}
	case seen[e.Name]:
		return 0, &Error{Tensor: e.Name, Kind: ErrDuplicateTensor, Detail: "the name is listed twice"}
	case !e.DType.Valid():
		return 0, &Error{Tensor: e.Name, Kind: ErrUnknownDType, Detail: e.DType.String()}
	}
	seen[e.Name] = true
	for i, d := range e.Shape {
		if d < 0 {
			return 0, &Error{Tensor: e.Name, Kind: ErrInvalidShape, Detail: fmt.Sprintf("shape[%d] = %d is negative", i, d)}
		}
	}
	size := tensor.NumBytes(e.Shape, e.DType)
	if size < 0 {
		return 0, &Error{Tensor: e.Name, Kind: ErrShapeOverflow,
			Detail: fmt.Sprintf("shape %s of %s", tensor.ShapeString(e.Shape), e.DType)}
	}
	return size, nil
}

// writeJSONString writes s as a JSON string (s must be valid UTF-8).
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // encoding a string into a bytes.Buffer cannot fail
	b.Truncate(b.Len() - 1) // drop the newline Encode appends
}

func writeInts(b *bytes.Buffer, vs ...int64) {
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(v, 10))
	}
	b.WriteByte(']')
}
