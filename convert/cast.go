package convert

import (
	"math"

	"github.com/x448/float16"
)

// This file holds the scalar rounding rules used by the byte-level casts in
// transform.go. Every narrowing conversion rounds to nearest, ties to even,
// and keeps NaN a NaN (quieted, sign kept). Finite values whose rounded result
// is infinite are reported to the caller as overflows.

// f32ToBF16 rounds a float32 (given as bits) to bfloat16 bits.
func f32ToBF16(b uint32) uint16 {
	if b&0x7fffffff > 0x7f800000 { // NaN: keep sign and top payload, force quiet bit
		return uint16(b>>16) | 0x0040
	}
	lsb := (b >> 16) & 1
	return uint16((b + 0x7fff + lsb) >> 16)
}

// bf16ToF32 widens bfloat16 bits to float32 bits; exact.
func bf16ToF32(h uint16) uint32 { return uint32(h) << 16 }

// f32ToF16 rounds a float32 (bits) to IEEE half-precision bits.
func f32ToF16(b uint32) uint16 {
	return float16.Fromfloat32(math.Float32frombits(b)).Bits()
}

// f16ToF32 widens half-precision bits to float32 bits; exact.
func f16ToF32(h uint16) uint32 {
	return math.Float32bits(float16.Frombits(h).Float32())
}

// f64ToF32Odd narrows a float64 to float32 bits rounding to odd (truncate,
// then set the last bit when inexact). Rounding that result once more to a
// type with at least two fewer significand bits (bfloat16, float16) gives the
// correctly rounded value, so float64 sources avoid double rounding.
func f64ToF32Odd(d float64) uint32 {
	if d != d {
		return math.Float32bits(float32(d)) | 0x00400000
	}
	f := float32(d) // nearest even
	if math.Abs(float64(f)) > math.Abs(d) {
		// rounded away from zero (or to Inf): step one ulp back toward zero
		f = math.Float32frombits(math.Float32bits(f) - 1)
	}
	b := math.Float32bits(f)
	if float64(f) != d {
		b |= 1
	}
	return b
}

// isInfBits32 reports whether float32 bits encode ±Inf.
func isInfBits32(b uint32) bool { return b&0x7fffffff == 0x7f800000 }

// isInfBF16 and isInfF16 report ±Inf in the 16-bit encodings.
func isInfBF16(h uint16) bool { return h&0x7fff == 0x7f80 }
func isInfF16(h uint16) bool  { return h&0x7fff == 0x7c00 }
