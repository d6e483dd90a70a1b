package convert

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/wanconv/wanconv/tensor"
)

// This file is the only place where tensor bytes are changed. A planned
// tensor gets one fused transform: an optional layout change (conv weights to
// channels-last) followed by an optional dtype cast. Gamma squeezing changes
// only the recorded shape, never the bytes, so it has no code here.
//
// Both steps work on a byte slab of one output channel at a time: for a conv
// weight (O, I, k...) the I×k elements of output channel o are contiguous in
// the source and in the result, so a tensor can be streamed in chunks that
// hold whole slabs, without ever materialising it.

// layoutOp is the layout part of a transform.
type layoutOp int

const (
	layoutKeep         layoutOp = iota // bytes in source order (identity, gamma squeeze)
	layoutChannelsLast                 // move axis 1 to the end
)

// castFunc converts len(src)/inSize elements from src into dst and returns
// how many finite inputs became ±Inf.
type castFunc func(dst, src []byte) (overflow int64)

// tensorTransform is the fused byte-level work for one tensor.
type tensorTransform struct {
	in, out tensor.DType
	layout  layoutOp
	inner   int64 // axis-1 length (channels-last only)
	spatial int64 // product of axes 2.. (channels-last only)
	cast    castFunc
}

func newTensorTransform(src tensor.Info, layout layoutOp, out tensor.DType) (*tensorTransform, error) {
	t := &tensorTransform{in: src.DType, out: out, layout: layout}
	if layout == layoutChannelsLast {
		if len(src.Shape) < 2 {
			return nil, fmt.Errorf("tensor %s: channels-last needs rank >= 2, shape %s", src.Name, tensor.ShapeString(src.Shape))
		}
		t.inner = src.Shape[1]
		t.spatial = tensor.NumElements(src.Shape[2:])
		if t.spatial <= 1 || t.inner <= 1 {
			// moving a length-1 axis (or onto one) keeps the byte order;
			// an empty tensor has no bytes to move
			t.layout = layoutKeep
		}
	}
	if src.DType != out {
		c, err := castFor(src.DType, out)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", src.Name, err)
		}
		t.cast = c
	}
	return t, nil
}

// passThrough reports whether the output bytes equal the source bytes.
func (t *tensorTransform) passThrough() bool { return t.layout == layoutKeep && t.cast == nil }

// unit is the number of source bytes that must be processed together.
func (t *tensorTransform) unit() int64 {
	if t.layout == layoutChannelsLast {
		return t.inner * t.spatial * int64(t.in.Size())
	}
	return int64(t.in.Size())
}

// outLen is the output byte count for n source bytes.
func (t *tensorTransform) outLen(n int64) int64 { return n / int64(t.in.Size()) * int64(t.out.Size()) }

// apply transforms src (whole units) into dst (len outLen(len(src))).
// scratch must hold len(src) bytes when both a permutation and a cast are
// needed; it may be nil otherwise.
func (t *tensorTransform) apply(dst, src, scratch []byte) int64 {
	if t.layout == layoutChannelsLast {
		target := dst
		if t.cast != nil {
			target = scratch[:len(src)]
		}
		slab := int(t.unit())
		for off := 0; off < len(src); off += slab {
			permuteSlab(target[off:off+slab], src[off:off+slab], int(t.inner), int(t.spatial), t.in.Size())
		}
		if t.cast == nil {
			return 0
		}
		src = target
	}
	if t.cast == nil {
		copy(dst, src)
		return 0
	}
	return t.cast(dst, src)
}

// permuteSlab turns one (inner, spatial) slab into (spatial, inner). Whole
// elements are moved, so the byte order of the host does not matter.
func permuteSlab(dst, src []byte, inner, spatial, el int) {
	switch el {
	case 2:
		permuteTyped(view[uint16](dst), view[uint16](src), inner, spatial)
	case 4:
		permuteTyped(view[uint32](dst), view[uint32](src), inner, spatial)
	case 8:
		permuteTyped(view[uint64](dst), view[uint64](src), inner, spatial)
	default:
		for i := 0; i < inner; i++ {
			for s := 0; s < spatial; s++ {
				copy(dst[(s*inner+i)*el:(s*inner+i+1)*el], src[(i*spatial+s)*el:(i*spatial+s+1)*el])
			}
		}
	}
}

func permuteTyped[T uint16 | uint32 | uint64](dst, src []T, inner, spatial int) {
	dst = dst[:inner*spatial]
	for s := 0; s < spatial; s++ {
		row := dst[s*inner : (s+1)*inner]
		col := src[s:]
		for i := range row {
			row[i] = col[i*spatial]
		}
	}
}

// view reinterprets a byte slice as a slice of fixed-size elements.
func view[T uint16 | uint32 | uint64](b []byte) []T {
	var zero T
	n := len(b) / int(unsafe.Sizeof(zero))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// littleEndian reports the host byte order; the typed cast kernels below
// need it (tensor bytes are little-endian), other hosts use genericCast.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// castFor returns the element cast from in to out. Only float types cast.
func castFor(in, out tensor.DType) (castFunc, error) {
	if !in.IsFloat() || !out.IsFloat() {
		return nil, fmt.Errorf("cannot cast %s to %s (only float tensors are cast)", in.Name(), out.Name())
	}
	switch {
	case !littleEndian:
	case in == tensor.F32 && out == tensor.BF16:
		return castF32ToBF16, nil
	case in == tensor.BF16 && out == tensor.F32:
		return castBF16ToF32, nil
	}
	return genericCast(in, out), nil
}

func castF32ToBF16(dst, src []byte) int64 {
	var overflow int64
	sv := view[uint32](src)
	d := view[uint16](dst)[:len(sv)]
	for i, b := range sv {
		h := f32ToBF16(b)
		if h&0x7fff == 0x7f80 && !isInfBits32(b) {
			overflow++
		}
		d[i] = h
	}
	return overflow
}

func castBF16ToF32(dst, src []byte) int64 {
	sv := view[uint16](src)
	d := view[uint32](dst)[:len(sv)]
	for i, h := range sv {
		d[i] = bf16ToF32(h)
	}
	return 0
}

// genericCast decodes each element to float32 bits (float64 sources: exact
// rounding, see f64ToF32Odd) and encodes it in the target type. Overflows are
// counted as (infinite outputs) - (infinite inputs): casts map ±Inf to ±Inf.
func genericCast(in, out tensor.DType) castFunc {
	inSize, outSize := in.Size(), out.Size()
	decode := decoderFor(in, out)
	isInfIn := infTestFor(in)
	isInfOut := infTestFor(out)
	encode := encoderFor(out)
	return func(dst, src []byte) int64 {
		var infIn, infOut int64
		n := len(src) / inSize
		for i := 0; i < n; i++ {
			s := src[i*inSize : (i+1)*inSize]
			d := dst[i*outSize : (i+1)*outSize]
			encode(d, decode(s))
			if isInfIn(s) {
				infIn++
			}
			if isInfOut(d) {
				infOut++
			}
		}
		return infOut - infIn
	}
}

// decoderFor reads one element as float32 bits, or for float64 targets the
// widened value is rebuilt by the encoder from the same bits (exact).
func decoderFor(in, out tensor.DType) func([]byte) uint64 {
	switch in {
	case tensor.F64:
		if out == tensor.F32 {
			return func(s []byte) uint64 {
				return uint64(math.Float32bits(float32(math.Float64frombits(binary.LittleEndian.Uint64(s)))))
			}
		}
		return func(s []byte) uint64 { return uint64(f64ToF32Odd(math.Float64frombits(binary.LittleEndian.Uint64(s)))) }
	case tensor.F32:
		return func(s []byte) uint64 { return uint64(binary.LittleEndian.Uint32(s)) }
	case tensor.BF16:
		return func(s []byte) uint64 { return uint64(bf16ToF32(binary.LittleEndian.Uint16(s))) }
	default: // F16
		return func(s []byte) uint64 { return uint64(f16ToF32(binary.LittleEndian.Uint16(s))) }
	}
}

// encoderFor writes float32 bits v in the target type.
func encoderFor(out tensor.DType) func([]byte, uint64) {
	switch out {
	case tensor.F64:
		return func(d []byte, v uint64) {
			binary.LittleEndian.PutUint64(d, math.Float64bits(float64(math.Float32frombits(uint32(v)))))
		}
	case tensor.F32:
		return func(d []byte, v uint64) { binary.LittleEndian.PutUint32(d, uint32(v)) }
	case tensor.BF16:
		return func(d []byte, v uint64) { binary.LittleEndian.PutUint16(d, f32ToBF16(uint32(v))) }
	default: // F16
		return func(d []byte, v uint64) { binary.LittleEndian.PutUint16(d, f32ToF16(uint32(v))) }
	}
}

func infTestFor(dt tensor.DType) func([]byte) bool {
	switch dt {
	case tensor.F64:
		return func(s []byte) bool { return math.IsInf(math.Float64frombits(binary.LittleEndian.Uint64(s)), 0) }
	case tensor.F32:
		return func(s []byte) bool { return isInfBits32(binary.LittleEndian.Uint32(s)) }
	case tensor.BF16:
		return func(s []byte) bool { return isInfBF16(binary.LittleEndian.Uint16(s)) }
	default:
		return func(s []byte) bool { return isInfF16(binary.LittleEndian.Uint16(s)) }
	}
}
