// Package tensor holds the vocabulary shared by every checkpoint reader and
// writer in wanconv: element types, tensor descriptions and the Source
// interface through which tensor bytes are streamed one tensor at a time.
//
// All tensor bytes exchanged through this package are little-endian and in
// C (row-major) order, whatever the layout on disk.
package tensor

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// DType is an element type. Its String form is the safetensors spelling.
type DType int

const (
	Invalid DType = iota
	Bool
	U8
	I8
	I16
	I32
	I64
	F16
	BF16
	F32
	F64
	// U32 holds the packed codes of quantized MLX weights (uint32 words).
	U32
)

var dtypeNames = map[DType]string{
	Bool: "BOOL", U8: "U8", I8: "I8", I16: "I16", I32: "I32", I64: "I64",
	F16: "F16", BF16: "BF16", F32: "F32", F64: "F64", U32: "U32",
}

var dtypeSizes = map[DType]int{
	Bool: 1, U8: 1, I8: 1, I16: 2, I32: 4, I64: 8, F16: 2, BF16: 2, F32: 4, F64: 8, U32: 4,
}

// friendlyNames are the spellings users type on the command line and read in
// reports (PyTorch/MLX style).
var friendlyNames = map[DType]string{
	Bool: "bool", U8: "uint8", I8: "int8", I16: "int16", I32: "int32", I64: "int64",
	F16: "float16", BF16: "bfloat16", F32: "float32", F64: "float64", U32: "uint32",
}

// String returns the safetensors spelling ("F32", "BF16", ...).
func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// Name returns the PyTorch/MLX spelling ("float32", "bfloat16", ...).
func (d DType) Name() string {
	if s, ok := friendlyNames[d]; ok {
		return s
	}
	return d.String()
}

// Size is the number of bytes of one element (0 for Invalid).
func (d DType) Size() int { return dtypeSizes[d] }

// Valid reports whether d is a known element type.
func (d DType) Valid() bool { _, ok := dtypeSizes[d]; return ok }

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == F16 || d == BF16 || d == F32 || d == F64 }

// ParseSafetensorsDType parses the safetensors spelling ("F32").
func ParseSafetensorsDType(s string) (DType, error) {
	for d, n := range dtypeNames {
		if n == s {
			return d, nil
		}
	}
	return Invalid, fmt.Errorf("unknown dtype %q", s)
}

// ParseDType parses either spelling, case-insensitively ("bfloat16", "BF16", "bf16").
func ParseDType(s string) (DType, error) {
	l := strings.ToLower(s)
	for d := range dtypeSizes {
		if strings.ToLower(dtypeNames[d]) == l || friendlyNames[d] == l {
			return d, nil
		}
	}
	return Invalid, fmt.Errorf("unknown dtype %q", s)
}

// Info describes one tensor.
type Info struct {
	Name  string
	DType DType
	Shape []int64
}

// NumElements returns the product of the shape (1 for a scalar) or -1 when
// a dimension is negative or the product overflows int64.
func NumElements(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return -1
		}
		if d != 0 && n > math.MaxInt64/d {
			return -1
		}
		n *= d
	}
	return n
}

// NumBytes returns NumElements × element size, or -1 on overflow.
func NumBytes(shape []int64, dt DType) int64 {
	n := NumElements(shape)
	if n < 0 || !dt.Valid() {
		return -1
	}
	sz := int64(dt.Size())
	if n > math.MaxInt64/sz {
		return -1
	}
	return n * sz
}

// NumElements of the tensor.
func (i Info) NumElements() int64 { return NumElements(i.Shape) }

// NumBytes of the tensor's contiguous data.
func (i Info) NumBytes() int64 { return NumBytes(i.Shape, i.DType) }

// ShapeString formats a shape as "(3072, 48, 1, 2, 2)".
func ShapeString(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Source is a checkpoint opened for streaming: its header/index has been
// read and validated, and tensor data is read lazily, one tensor at a time.
type Source interface {
	// Path names the file (or index) the tensors come from, for messages.
	Path() string
	// Tensors lists every tensor, sorted by name.
	Tensors() []Info
	// Lookup finds a tensor by name.
	Lookup(name string) (Info, bool)
	// ReadTensor fills dst (len == NumBytes) with the tensor's contiguous,
	// little-endian, C-order bytes. Errors name the file and the tensor.
	ReadTensor(name string, dst []byte) error
	// Close releases open files.
	Close() error
}

// SectionSource is implemented by sources that can hand out the tensor's
// bytes in place (already contiguous on disk), so that untransformed tensors
// can be copied without decoding. ok is false when the tensor is not stored
// contiguously.
type SectionSource interface {
	Source
	Section(name string) (r SectionReader, ok bool, err error)
}

// SectionReader is the subset of *io.SectionReader the writers use.
type SectionReader interface {
	ReadAt(p []byte, off int64) (int, error)
	Size() int64
}

// SortInfos sorts tensor descriptions by name.
func SortInfos(infos []Info) {
	sort.Slice(infos, func(a, b int) bool { return infos[a].Name < infos[b].Name })
}

// ParamCount sums NumElements over infos.
func ParamCount(infos []Info) int64 {
	var n int64
	for _, i := range infos {
		n += i.NumElements()
	}
	return n
}
