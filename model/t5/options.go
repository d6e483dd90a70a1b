package t5

import (
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// Options are the model-only settings; the zero value is the accurate
// default. The architecture comes from package mapping.
type Options struct {
	// ComputeDType is the dtype of the seven weight projections of each
	// block (q, k, v, o, gate, fc1, fc2): tensor.F32 (the default, also for
	// the zero value) or tensor.BF16. Float16 is refused: T5 activations are
	// known to exceed its range. Whatever the choice, the residual stream,
	// the RMS norms, the attention products q·kᵀ and p·v (cheap next to the
	// projections), the position bias and mask, the softmax and the GELU are
	// float32, and Encode returns float32.
	//
	// With float32, weights stored in a narrower dtype are upcast one block
	// at a time inside that block's scope, so only one block's float32 copy
	// is alive at once (about 0.8 GB for umt5-xxl, next to 11.4 GB of
	// bfloat16 weights). With bfloat16, activations are rounded to it before
	// each projection (and float32 weights too) and the products are widened
	// back: no float32 weight copy is made, but the rounding costs accuracy:
	// on the golden tiny encoder with bfloat16 weights max|err|/std is about
	// 4e-2 against the float32 reference, above the 2e-2 acceptance bound
	// that float32 meets.
	ComputeDType tensor.DType
}

// resolve validates o and makes its compute dtype explicit.
func (o Options) resolve() (Options, error) {
	dt, err := weights.ComputeDType("t5", o.ComputeDType, tensor.BF16)
	o.ComputeDType = dt
	return o, err
}
