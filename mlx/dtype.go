package mlx

import "fmt"

// Dtype is an array element type.
type Dtype int

// Element types. The first ten are those of the API contract; the unsigned
// wide types exist so that any safetensors file can be described.
const (
	Bool Dtype = iota
	Uint8
	Int8
	Int16
	Int32
	Int64
	Float16
	BFloat16
	Float32
	Float64
	Uint16
	Uint32
	Uint64

	// InvalidDtype is the Dtype of an invalid or freed array.
	InvalidDtype Dtype = -1
)

var dtypeInfo = [...]struct {
	name string
	size int
}{
	Bool:     {"bool", 1},
	Uint8:    {"uint8", 1},
	Int8:     {"int8", 1},
	Int16:    {"int16", 2},
	Int32:    {"int32", 4},
	Int64:    {"int64", 8},
	Float16:  {"float16", 2},
	BFloat16: {"bfloat16", 2},
	Float32:  {"float32", 4},
	Float64:  {"float64", 8},
	Uint16:   {"uint16", 2},
	Uint32:   {"uint32", 4},
	Uint64:   {"uint64", 8},
}

func (d Dtype) valid() bool { return d >= 0 && int(d) < len(dtypeInfo) }

// String returns the lower-case MLX name of the type ("bfloat16", ...).
func (d Dtype) String() string {
	if d == InvalidDtype {
		return "invalid"
	}
	if !d.valid() {
		return fmt.Sprintf("Dtype(%d)", int(d))
	}
	return dtypeInfo[d].name
}

// Size returns the size of one element in bytes (0 for an unknown type).
func (d Dtype) Size() int {
	if !d.valid() {
		return 0
	}
	return dtypeInfo[d].size
}

// IsFloat reports whether d is a floating-point type.
func (d Dtype) IsFloat() bool {
	return d == Float16 || d == BFloat16 || d == Float32 || d == Float64
}

// Device selects where MLX runs operations.
type Device int

// Devices.
const (
	CPU Device = iota
	GPU
)

// String returns "cpu" or "gpu".
func (d Device) String() string {
	switch d {
	case CPU:
		return "cpu"
	case GPU:
		return "gpu"
	}
	return fmt.Sprintf("Device(%d)", int(d))
}
