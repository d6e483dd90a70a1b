package quant

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/x448/float16"

	"github.com/wanconv/wanconv/tensor"
)

// load is how source elements become the float32 values that are
// quantized: the source value rounded to the output dtype (the dtype MLX
// would hold the weight in), then widened exactly.
type load int

const (
	loadF32       load = iota // float32 kept as float32
	loadF32AsBF16             // float32 rounded to bfloat16
	loadF32AsF16              // float32 rounded to float16
	loadBF16                  // bfloat16 widened (output bfloat16 or float32)
	loadBF16AsF16             // bfloat16 rounded to float16
	loadF16                   // float16 widened (output float16 or float32)
	loadF16AsBF16             // float16 rounded to bfloat16
)

func loadFor(src, out tensor.DType) load {
	switch {
	case src == tensor.F32 && out == tensor.BF16:
		return loadF32AsBF16
	case src == tensor.F32 && out == tensor.F16:
		return loadF32AsF16
	case src == tensor.F32:
		return loadF32
	case src == tensor.BF16 && out == tensor.F16:
		return loadBF16AsF16
	case src == tensor.BF16:
		return loadBF16
	case src == tensor.F16 && out == tensor.BF16:
		return loadF16AsBF16
	}
	return loadF16
}

// decode fills dst with the values of the len(dst) elements at the start of
// src.
func (l load) decode(dst []float32, src []byte) {
	switch {
	case !littleEndian || !aligned(src, l):
	case l == loadF32:
		copy(dst, view[float32](src[:4*len(dst)]))
		return
	case l == loadF32AsBF16:
		for i, b := range view[uint32](src[:4*len(dst)]) {
			dst[i] = math.Float32frombits(roundBF16(b))
		}
		return
	case l == loadBF16:
		for i, h := range view[uint16](src[:2*len(dst)]) {
			dst[i] = math.Float32frombits(uint32(h) << 16)
		}
		return
	}
	l.decodeSlow(dst, src)
}

// littleEndian reports the host byte order: the fast decoders read tensor
// bytes (little-endian) in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// aligned reports whether src is aligned for the element type l reads.
func aligned(src []byte, l load) bool {
	size := uintptr(4)
	if l == loadBF16 {
		size = 2
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(src)))%size == 0
}

// view reinterprets b, suitably aligned, as a slice of T.
func view[T uint16 | uint32 | float32](b []byte) []T {
	var zero T
	n := len(b) / int(unsafe.Sizeof(zero))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// decodeSlow decodes byte by byte: the float16 cases, rare for Wan2.2
// checkpoints, and every case on big-endian hosts.
func (l load) decodeSlow(dst []float32, src []byte) {
	for i := range dst {
		var v float32
		switch l {
		case loadF32:
			v = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		case loadF32AsBF16:
			v = math.Float32frombits(roundBF16(binary.LittleEndian.Uint32(src[4*i:])))
		case loadBF16:
			v = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		case loadF32AsF16:
			v = float16.Frombits(f16Bits(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))).Float32()
		case loadBF16AsF16:
			v = float16.Frombits(f16Bits(math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16))).Float32()
		case loadF16:
			v = float16.Frombits(binary.LittleEndian.Uint16(src[2*i:])).Float32()
		case loadF16AsBF16:
			f := float16.Frombits(binary.LittleEndian.Uint16(src[2*i:])).Float32()
			v = math.Float32frombits(roundBF16(math.Float32bits(f)))
		}
		dst[i] = v
	}
}

// roundBF16 rounds float32 bits to the nearest bfloat16 (ties to even) and
// returns the result as float32 bits. NaN becomes the quiet NaN 0x7fc0.
func roundBF16(b uint32) uint32 {
	return uint32(bf16Bits(b)) << 16
}

// bf16Bits rounds float32 bits to bfloat16 bits as MLX's bfloat16 type does:
// nearest, ties to even, and every NaN to 0x7fc0.
func bf16Bits(b uint32) uint16 {
	if b&0x7fffffff > 0x7f800000 {
		return 0x7fc0
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// f16Bits rounds v to float16 bits as MLX's float16 type does: nearest,
// ties to even, and every NaN to 0x7d00 with the sign of v.
func f16Bits(v float32) uint16 {
	if v != v {
		return uint16(math.Float32bits(v)>>16)&0x8000 | 0x7d00
	}
	return float16.Fromfloat32(v).Bits()
}

// store writes v as one element of dtype d at the start of dst.
func store(dst []byte, d tensor.DType, v float32) {
	switch d {
	case tensor.BF16:
		binary.LittleEndian.PutUint16(dst, bf16Bits(math.Float32bits(v)))
	case tensor.F16:
		binary.LittleEndian.PutUint16(dst, f16Bits(v))
	default:
		binary.LittleEndian.PutUint32(dst, math.Float32bits(v))
	}
}

// fetch reads element i of a dtype d array.
func fetch(src []byte, d tensor.DType, i int) float32 {
	switch d {
	case tensor.BF16:
		return math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
	case tensor.F16:
		return float16.Frombits(binary.LittleEndian.Uint16(src[2*i:])).Float32()
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
}
