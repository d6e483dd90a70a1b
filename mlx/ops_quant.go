package mlx

// Quantization in MLX's "affine" mode: w is cut along its last axis into
// groups of groupSize elements, each stored as bits-bit unsigned integers q
// with a per-group scale and bias, w ≈ scale*q + bias. The integers are
// packed into uint32 words (32/bits per word). groupSize and bits 0 mean
// MLX's defaults (64 and 4); MLX accepts group sizes 32, 64 and 128 and
// 2 to 8 bits.

// Quantize returns the packed weights wq (uint32, last axis
// size*bits/32), and the scales and biases (w's dtype, last axis
// size/groupSize) of w. On failure all three are invalid.
func Quantize(w *Array, groupSize, bits int) (wq, scales, biases *Array) {
	out := quantizeOp(w, groupSize, bits)
	return out[0], out[1], out[2]
}

// Dequantize reverses Quantize: scales*q + biases, in the scales' dtype.
func Dequantize(wq, scales, biases *Array, groupSize, bits int) *Array {
	return dequantizeOp(wq, scales, biases, groupSize, bits)
}

// QuantizedMatmul multiplies x by the quantized matrix (wq, scales,
// biases): x @ Dequantize(...)ᵀ when transpose (wq holds the weight as
// out,in, as in a linear layer), else x @ Dequantize(...).
func QuantizedMatmul(x, wq, scales, biases *Array, transpose bool, groupSize, bits int) *Array {
	return quantizedMatmulOp(x, wq, scales, biases, transpose, groupSize, bits)
}
