package dit

import (
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// Options are the model-only settings: how a Model holds and uses its
// weights. The architecture comes from package mapping.
type Options struct {
	// ComputeDType is the dtype of the matrix multiplications and attention:
	// tensor.F32 (the default, also for the zero value) or tensor.BF16;
	// other values are refused. Norms, softmax statistics, modulation, RoPE,
	// the time embedding and the residual stream always stay float32. With
	// float32, weights stored in a narrower dtype are widened inside each
	// forward pass, one block at a time, so memory stays close to the stored
	// size; bfloat16 halves the weight traffic and is less accurate.
	ComputeDType tensor.DType
	// CastAtLoad converts the linear weights to the compute dtype once in
	// New instead of in every forward pass. With bfloat16 weights and
	// float32 compute this doubles weight memory (the 5B model needs ~20 GB);
	// it saves the per-forward conversion.
	CastAtLoad bool
	// DequantizeLinears runs the Linears of a quantized checkpoint as dense
	// matmuls of their weights dequantized (in the compute dtype, inside
	// each forward pass) instead of through MLX's quantized matmul: the
	// same weights by another kernel, so that comparing the two shows what
	// the quantized kernel contributes. No effect on a dense checkpoint.
	DequantizeLinears bool
}

// resolve validates o and makes its compute dtype explicit.
func (o Options) resolve() (Options, error) {
	dt, err := weights.ComputeDType("dit", o.ComputeDType, tensor.BF16)
	o.ComputeDType = dt
	return o, err
}
