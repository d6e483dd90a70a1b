package mlx

// reduceKind names a reduction.
type reduceKind int

const (
	opSum reduceKind = iota
	opMean
	opMax
	opMin
	opVar
)

// Sum reduces over axes (all axes when none are given).
func Sum(a *Array, keepDims bool, axes ...int) *Array {
	return reduceOp("Sum", opSum, a, keepDims, 0, axes)
}

// Mean averages over axes (all axes when none are given).
func Mean(a *Array, keepDims bool, axes ...int) *Array {
	return reduceOp("Mean", opMean, a, keepDims, 0, axes)
}

// Max reduces with maximum over axes (all axes when none are given).
func Max(a *Array, keepDims bool, axes ...int) *Array {
	return reduceOp("Max", opMax, a, keepDims, 0, axes)
}

// Min reduces with minimum over axes (all axes when none are given).
func Min(a *Array, keepDims bool, axes ...int) *Array {
	return reduceOp("Min", opMin, a, keepDims, 0, axes)
}

// Var returns the variance over axes (all axes when none are given), dividing
// by N-ddof.
func Var(a *Array, keepDims bool, ddof int, axes ...int) *Array {
	return reduceOp("Var", opVar, a, keepDims, ddof, axes)
}

// Argmax returns the indices (Uint32) of the maxima along axis.
func Argmax(a *Array, axis int, keepDims bool) *Array { return argmaxOp(a, axis, keepDims) }

// Softmax normalises exp(a) over axes (all axes when none are given, as in
// MLX; pass -1 for the last axis). precise computes in float32 for
// half-precision inputs.
func Softmax(a *Array, precise bool, axes ...int) *Array { return softmaxOp(a, precise, axes) }
