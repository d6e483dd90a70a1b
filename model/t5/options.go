package t5

// MatmulPrecision selects the dtype of the encoder's matrix multiplications.
// It concerns the seven weight projections of each block (q, k, v, o, gate,
// fc1, fc2). Whatever the choice, the residual stream, the RMS norms, the
// attention products q·kᵀ and p·v (cheap next to the projections), the
// position bias and mask, the softmax and the GELU are computed in float32,
// and Encode returns float32.
type MatmulPrecision int

const (
	// MatmulFloat32 (the default) multiplies in float32. Weights stored in a
	// narrower dtype are upcast one block at a time inside that block's
	// scope, so only one block's float32 copy is alive at once (about
	// 0.8 GB for umt5-xxl, next to 11.4 GB of bfloat16 weights).
	MatmulFloat32 MatmulPrecision = iota
	// MatmulWeightDType multiplies in each weight's stored dtype (bfloat16
	// for the converter's default output): activations are rounded to it
	// before each projection and the products are widened back to float32.
	// No float32 weight copy is made, but the rounding costs accuracy: on
	// the golden tiny encoder max|err|/std is about 4e-2 against the float32
	// reference, above the 2e-2 acceptance bound that MatmulFloat32 meets.
	MatmulWeightDType
)

// String names the precision.
func (p MatmulPrecision) String() string {
	switch p {
	case MatmulFloat32:
		return "float32"
	case MatmulWeightDType:
		return "weight-dtype"
	}
	return "MatmulPrecision(?)"
}

// Options tune how the encoder runs; the zero value is the accurate default.
type Options struct {
	Matmul MatmulPrecision
}
