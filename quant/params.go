// Package quant implements MLX's affine quantization of Linear weights in
// pure Go, byte for byte what mlx.core.quantize (mode "affine") gives on the
// CPU for the same weights, so that wanconv can write 4- and 8-bit MLX
// checkpoints while streaming, without MLX or PyTorch.
//
// A weight of shape (out, in) becomes three tensors:
//
//   - packed codes, uint32 of shape (out, in·bits/32): code j of a row sits in
//     word j·bits/32, bits (j mod 32/bits)·bits and up (least significant first);
//   - scales and biases, of shape (out, in/group_size), in the weight's dtype;
//
// and element j of a row is recovered as scales[j/g]·code + biases[j/g].
//
// The algorithm, per group of g consecutive values of a row, all arithmetic
// in float32 on the values as the weight's dtype holds them:
//
//	lo, hi = min, max of the group (NaNs skipped)
//	s = max((hi − lo)/(2^bits − 1), 1e-7)
//	if |lo| > |hi| { edge = lo } else { edge = hi; s = −s }
//	q0 = round(edge/s)                     (to nearest, ties to even)
//	if q0 ≠ 0 { s = edge/q0; b = edge } else { b = 0 }
//	code = clamp(round((w − b)/s), 0, 2^bits − 1)   (NaN → 0)
//
// and s and b are then rounded to the weight's dtype (nearest even; NaN to
// MLX's NaN) for storage, while the codes use the unrounded float32 s and b.
// The tests check this byte for byte against mlx.core.quantize and
// mlx.core.dequantize of MLX 0.32.4 (CPU, x86-64) when WANCONV_MLX_PY names
// its Python frontend.
package quant

import (
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// Params are the quantization settings of one checkpoint.
type Params struct {
	Bits      int // 4 or 8
	GroupSize int // 32, 64 or 128
}

// DefaultGroupSize is MLX's and wanconv's default group size.
const DefaultGroupSize = 64

// Validate checks that p is a supported combination.
func (p Params) Validate() error {
	if p.Bits != 4 && p.Bits != 8 {
		return fmt.Errorf("quantization bits %d not supported (4 or 8)", p.Bits)
	}
	if p.GroupSize != 32 && p.GroupSize != 64 && p.GroupSize != 128 {
		return fmt.Errorf("quantization group size %d not supported (32, 64 or 128)", p.GroupSize)
	}
	return nil
}

// String formats p as "8-bit, group size 64".
func (p Params) String() string {
	return fmt.Sprintf("%d-bit, group size %d", p.Bits, p.GroupSize)
}

// PerWord is the number of codes packed into one uint32.
func (p Params) PerWord() int { return 32 / p.Bits }

// Levels is the largest code, 2^bits − 1.
func (p Params) Levels() int { return 1<<p.Bits - 1 }

// CheckShape reports whether a weight of shape (rows, cols) can be
// quantized with p: two dimensions, cols divisible by the group size (and
// so by 32/bits).
func (p Params) CheckShape(shape []int64) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if len(shape) != 2 {
		return fmt.Errorf("shape %s: only 2-D weights are quantized", tensor.ShapeString(shape))
	}
	if shape[0] < 1 || shape[1] < 1 {
		return fmt.Errorf("shape %s: empty weight", tensor.ShapeString(shape))
	}
	if shape[1]%int64(p.GroupSize) != 0 {
		return fmt.Errorf("shape %s: input size %d is not a multiple of the group size %d",
			tensor.ShapeString(shape), shape[1], p.GroupSize)
	}
	return nil
}

// PackedShape is the shape of the packed uint32 codes of a (rows, cols) weight.
func (p Params) PackedShape(rows, cols int64) []int64 {
	return []int64{rows, cols * int64(p.Bits) / 32}
}

// ScalesShape is the shape of the scales (and of the biases) of a
// (rows, cols) weight.
func (p Params) ScalesShape(rows, cols int64) []int64 {
	return []int64{rows, cols / int64(p.GroupSize)}
}

// Sizes returns the byte sizes of the packed words and of the scales (equal
// to that of the biases) of rows rows of cols columns, the scales stored as
// outDType.
func (p Params) Sizes(rows, cols int, outDType tensor.DType) (words, scales int) {
	return rows * cols * p.Bits / 8, rows * (cols / p.GroupSize) * outDType.Size()
}

// BlockRows returns how many rows of cols srcDType elements fit in budget
// bytes (at least 1): the block a streaming caller reads at a time.
func BlockRows(cols int, srcDType tensor.DType, budget int) int {
	row := cols * srcDType.Size()
	if row <= 0 || budget <= row {
		return 1
	}
	return budget / row
}

// supported reports whether d can be a weight or output dtype.
func supported(d tensor.DType) bool {
	return d == tensor.F32 || d == tensor.BF16 || d == tensor.F16
}
