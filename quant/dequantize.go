package quant

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/wanconv/wanconv/tensor"
)

// checkOutputs validates the sizes of a quantized block of rows × cols.
func checkOutputs(in Outputs, dtype tensor.DType, rows, cols int, p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !supported(dtype) {
		return fmt.Errorf("quantization scales as %s not supported (float32, bfloat16 or float16 only)", dtype.Name())
	}
	if rows < 0 || cols < 1 || cols%p.GroupSize != 0 {
		return fmt.Errorf("%d × %d cannot be quantized with group size %d", rows, cols, p.GroupSize)
	}
	nw, ns := p.Sizes(rows, cols, dtype)
	if len(in.Words) != nw || len(in.Scales) != ns || len(in.Biases) != ns {
		return fmt.Errorf("quantized %d × %d (%s) has %d, %d and %d bytes of words, scales and biases, want %d, %d and %d",
			rows, cols, p, len(in.Words), len(in.Scales), len(in.Biases), nw, ns, ns)
	}
	return nil
}

// Dequantize writes scale·code + bias for every element of a quantized
// block of rows × cols into dst (len rows·cols), computed as
// mlx.core.dequantize does, in the dtype of the scales: for bfloat16 and
// float16 the product is rounded to that dtype, then the sum.
func Dequantize(dst []float32, in Outputs, dtype tensor.DType, rows, cols int, p Params) error {
	if err := checkOutputs(in, dtype, rows, cols, p); err != nil {
		return err
	}
	if len(dst) != rows*cols {
		return fmt.Errorf("dequantizing %d × %d into %d values", rows, cols, len(dst))
	}
	per, mask := p.PerWord(), uint32(p.Levels())
	for gi := range rows * cols / p.GroupSize {
		s, b := fetch(in.Scales, dtype, gi), fetch(in.Biases, dtype, gi)
		out := dst[gi*p.GroupSize : (gi+1)*p.GroupSize]
		words := in.Words[gi*p.GroupSize*p.Bits/8:]
		for j := range out {
			w := binary.LittleEndian.Uint32(words[4*(j/per):])
			c := float32(w >> (uint(j%per) * uint(p.Bits)) & mask)
			out[j] = roundTo(dtype, roundTo(dtype, float32(s*c))+b) // float32(): no fused multiply-add
		}
	}
	return nil
}

// Check verifies that a quantized block of rows × cols is what the
// quantization of some weights gives: every scale and bias finite and
// every scale non-zero; in each group fitted to its edge (bias ≠ 0), the
// edge value has code 0, |bias/scale| (the edge's code before fitting) is
// at least 1, and the opposite extreme of the group has a code of at least
// ⌊levels·q/(q+½)⌋ for q = |bias/scale|, since fitting the scale to the
// edge changes it by at most a factor (q+½)/q. A group not fitted (bias 0)
// must have the floor scale 1e-7. The error names the first inconsistent
// group and counts them all. Groups whose scale is near the floor, where
// the bounds need not hold, are only checked for finiteness.
func Check(in Outputs, dtype tensor.DType, rows, cols int, p Params) error {
	bad, first, err := CheckRows(in, dtype, 0, rows, cols, p)
	if err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d quantization groups inconsistent; first: %s", bad, rows*cols/p.GroupSize, first)
	}
	return nil
}

// CheckRows is Check for a block of rows of a larger weight whose first
// row is row firstRow (the rows the messages name): it returns how many of
// the block's groups are inconsistent and the first one described; err is
// only for outputs of the wrong sizes.
func CheckRows(in Outputs, dtype tensor.DType, firstRow, rows, cols int, p Params) (bad int, first string, err error) {
	if err := checkOutputs(in, dtype, rows, cols, p); err != nil {
		return 0, "", err
	}
	// Stored scales and biases are within rel of the values the codes used.
	rel, tiny := 0x1p-8, 2.1e-7
	switch dtype {
	case tensor.F16:
		rel, tiny = 0x1p-10, 1e-4 // below 1e-4, float16 is subnormal: no bounds
	case tensor.F32:
		rel = 0x1p-20
	}
	levels := p.Levels()
	per, mask := p.PerWord(), uint32(levels)
	groups := cols / p.GroupSize
	for gi := range rows * groups {
		problem := ""
		s, b := float64(fetch(in.Scales, dtype, gi)), float64(fetch(in.Biases, dtype, gi))
		words := in.Words[gi*p.GroupSize*p.Bits/8 : (gi+1)*p.GroupSize*p.Bits/8]
		lo, hi := uint32(math.MaxUint32), uint32(0)
		for j := range p.GroupSize {
			c := binary.LittleEndian.Uint32(words[4*(j/per):]) >> (uint(j%per) * uint(p.Bits)) & mask
			lo, hi = min(lo, c), max(hi, c)
		}
		q := math.Abs(b/s) * (1 - 2*rel)
		switch {
		case math.IsNaN(s) || math.IsInf(s, 0):
			problem = fmt.Sprintf("scale %g is not finite", s)
		case math.IsNaN(b) || math.IsInf(b, 0):
			problem = fmt.Sprintf("bias %g is not finite", b)
		case s == 0:
			problem = "scale is 0"
		case math.Abs(s) < tiny:
		case b == 0:
			problem = fmt.Sprintf("bias 0 with scale %g: only a group fitted at the floor scale 1e-7 has no bias", s)
		case lo != 0:
			problem = fmt.Sprintf("no code 0 (smallest %d): no value sits at the bias %g", lo, b)
		case q < 1-4*rel:
			problem = fmt.Sprintf("|bias/scale| = %g is below 1", math.Abs(b/s))
		case float64(hi) < math.Floor(float64(levels)*q/(q+0.5)-1e-3):
			problem = fmt.Sprintf("largest code %d, below the %.0f that scale %g and bias %g imply",
				hi, math.Floor(float64(levels)*q/(q+0.5)-1e-3), s, b)
		}
		if problem != "" {
			if bad == 0 {
				first = fmt.Sprintf("row %d, group %d (columns %d to %d): %s", firstRow+gi/groups, gi%groups,
					gi%groups*p.GroupSize, (gi%groups+1)*p.GroupSize-1, problem)
			}
			bad++
		}
	}
	return bad, first, nil
}

// roundTo rounds v to dtype d (nearest even) and widens it back.
func roundTo(d tensor.DType, v float32) float32 {
	switch d {
	case tensor.BF16:
		return math.Float32frombits(roundBF16(math.Float32bits(v)))
	case tensor.F16:
		var b [2]byte
		store(b[:], d, v)
		return fetch(b[:], d, 0)
	}
	return v
}
