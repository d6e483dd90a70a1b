package mlx

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/x448/float16"
)

// FromFloat32s copies data into a new Float32 array of the given shape
// (1-D of len(data) when no shape is given).
func FromFloat32s(data []float32, shape ...int) *Array {
	return fromBytesOp("FromFloat32s", sliceBytes(data), Float32, shapeOr(shape, len(data)))
}

// FromFloat64s copies data into a new Float64 array (CPU only in MLX).
func FromFloat64s(data []float64, shape ...int) *Array {
	return fromBytesOp("FromFloat64s", sliceBytes(data), Float64, shapeOr(shape, len(data)))
}

// FromInt32s copies data into a new Int32 array.
func FromInt32s(data []int32, shape ...int) *Array {
	return fromBytesOp("FromInt32s", sliceBytes(data), Int32, shapeOr(shape, len(data)))
}

// FromInt64s copies data into a new Int64 array.
func FromInt64s(data []int64, shape ...int) *Array {
	return fromBytesOp("FromInt64s", sliceBytes(data), Int64, shapeOr(shape, len(data)))
}

// FromBools copies data into a new Bool array.
func FromBools(data []bool, shape ...int) *Array {
	return fromBytesOp("FromBools", sliceBytes(data), Bool, shapeOr(shape, len(data)))
}

// FromBytes copies raw little-endian element bytes (for example float16 or
// bfloat16 bit patterns) into a new array of type dt and the given shape
// (1-D when no shape is given).
func FromBytes(data []byte, dt Dtype, shape ...int) *Array {
	if len(shape) == 0 && dt.Size() > 0 {
		shape = []int{len(data) / dt.Size()}
	}
	return fromBytesOp("FromBytes", data, dt, shape)
}

// Scalar returns a Float32 scalar (0-d array).
func Scalar(v float32) *Array {
	return fromBytesOp("Scalar", sliceBytes([]float32{v}), Float32, []int{})
}

// ScalarOf returns a scalar of type dt holding v (rounded to nearest for
// half types, truncated toward zero for integers, v != 0 for Bool).
func ScalarOf(v float64, dt Dtype) *Array {
	b, err := encodeScalar(v, dt)
	if err != nil {
		return failf("ScalarOf", "%v", err)
	}
	return fromBytesOp("ScalarOf", b, dt, []int{})
}

// Zeros returns an array of zeros.
func Zeros(dt Dtype, shape ...int) *Array { return fillOp("Zeros", 0, dt, shape) }

// Ones returns an array of ones.
func Ones(dt Dtype, shape ...int) *Array { return fillOp("Ones", 1, dt, shape) }

// Full returns an array filled with v (cast to dt).
func Full(v float64, dt Dtype, shape ...int) *Array { return fillOp("Full", v, dt, shape) }

// Arange returns start, start+step, ... below stop.
func Arange(start, stop, step float64, dt Dtype) *Array { return arangeOp(start, stop, step, dt) }

// Float32s evaluates a and returns its elements in row-major order,
// converted to float32.
func (a *Array) Float32s() ([]float32, error) {
	b, err := readAs("Float32s", a, Float32)
	if err != nil {
		return nil, err
	}
	return bytesAs[float32](b), nil
}

// Int32s evaluates a and returns its elements converted to int32.
func (a *Array) Int32s() ([]int32, error) {
	b, err := readAs("Int32s", a, Int32)
	if err != nil {
		return nil, err
	}
	return bytesAs[int32](b), nil
}

// Bytes evaluates a and returns its raw row-major bytes in its own dtype.
func (a *Array) Bytes() ([]byte, error) {
	if !a.Valid() {
		return readAs("Bytes", a, Float32) // reports the invalid input
	}
	return readAs("Bytes", a, a.Dtype())
}

// Item evaluates a single-element array and returns its value.
func (a *Array) Item() (float64, error) {
	if a.Valid() && a.Size() != 1 {
		return 0, fmt.Errorf("mlx: Item: array has %d elements (shape %v), want 1", a.Size(), a.Shape())
	}
	switch dt := a.Dtype(); {
	case dt == Float64:
		b, err := readAs("Item", a, Float64)
		if err != nil {
			return 0, err
		}
		return bytesAs[float64](b)[0], nil
	case dt.IsFloat() || !a.Valid():
		v, err := a.Float32s()
		if err != nil {
			return 0, err
		}
		return float64(v[0]), nil
	default:
		b, err := readAs("Item", a, Int64)
		if err != nil {
			return 0, err
		}
		return float64(bytesAs[int64](b)[0]), nil
	}
}

// shapeOr returns shape, or {n} when shape is empty.
func shapeOr(shape []int, n int) []int {
	if len(shape) == 0 {
		return []int{n}
	}
	return shape
}

// sliceBytes views a slice of fixed-size values as its bytes (little-endian
// on every platform MLX supports).
func sliceBytes[T any](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(zero)))
}

// bytesAs copies b into a new slice of T.
func bytesAs[T any](b []byte) []T {
	var zero T
	n := len(b) / int(unsafe.Sizeof(zero))
	out := make([]T, n)
	copy(sliceBytes(out), b)
	return out
}

// numElements returns the product of shape, or an error for negative or
// overflowing dimensions.
func numElements(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n *= d
	}
	return n, nil
}

// encodeScalar returns the little-endian bytes of v as one element of dt.
func encodeScalar(v float64, dt Dtype) ([]byte, error) {
	b := make([]byte, dt.Size())
	switch dt {
	case Bool:
		if v != 0 {
			b[0] = 1
		}
	case Uint8, Int8:
		b[0] = byte(int64(v))
	case Int16, Uint16:
		binary.LittleEndian.PutUint16(b, uint16(int64(v)))
	case Int32, Uint32:
		binary.LittleEndian.PutUint32(b, uint32(int64(v)))
	case Int64:
		binary.LittleEndian.PutUint64(b, uint64(int64(v)))
	case Uint64:
		binary.LittleEndian.PutUint64(b, uint64(v))
	case Float16:
		binary.LittleEndian.PutUint16(b, float16.Fromfloat32(float32(v)).Bits())
	case BFloat16:
		binary.LittleEndian.PutUint16(b, bfloat16Bits(float32(v)))
	case Float32:
		binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v)))
	case Float64:
		binary.LittleEndian.PutUint64(b, math.Float64bits(v))
	default:
		return nil, fmt.Errorf("unsupported dtype %v", dt)
	}
	return b, nil
}

// bfloat16Bits rounds f to bfloat16 (nearest, ties to even), keeping NaN.
func bfloat16Bits(f float32) uint16 {
	u := math.Float32bits(f)
	if f != f {
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}
