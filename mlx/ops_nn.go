package mlx

// ConvGeneral is MLX's general channels-last convolution: x is N,spatial...,C
// and w is O,kernel...,I/groups. Empty stride, padding or dilation slices
// mean 1 (stride, dilations) or 0 (padding) on every spatial axis.
func ConvGeneral(x, w *Array, stride, padLo, padHi, kernelDil, inputDil []int, groups int, flip bool) *Array {
	return convOp("ConvGeneral", x, w, convParams{stride, padLo, padHi, kernelDil, inputDil, groups, flip})
}

// Conv2d convolves x (N,H,W,C) with w (O,kH,kW,I); padding is symmetric.
func Conv2d(x, w *Array, stride, padding []int) *Array {
	return convOp("Conv2d", x, w, convParams{stride: stride, padLo: padding, padHi: padding, groups: 1})
}

// Conv3d convolves x (N,D,H,W,C) with w (O,kD,kH,kW,I); padding is symmetric.
func Conv3d(x, w *Array, stride, padding []int) *Array {
	return convOp("Conv3d", x, w, convParams{stride: stride, padLo: padding, padHi: padding, groups: 1})
}

// convParams are the settings of a convolution.
type convParams struct {
	stride, padLo, padHi, kernelDil, inputDil []int
	groups                                    int
	flip                                      bool
}

// filled returns v, or n copies of def when v is empty.
func filled(v []int, n, def int) []int {
	if len(v) > 0 {
		return v
	}
	out := make([]int, n)
	for i := range out {
		out[i] = def
	}
	return out
}

// SDPA is fused scaled dot-product attention over q, k, v shaped B,H,L,D.
// mask is nil, a Bool array (true = attend) or an additive float array,
// broadcastable to B,H,Lq,Lk.
func SDPA(q, k, v *Array, scale float32, mask *Array) *Array { return sdpaOp(q, k, v, scale, mask) }

// RMSNorm normalises the last axis by its root mean square and scales by w
// (nil for none).
func RMSNorm(x, w *Array, eps float32) *Array { return rmsNormOp(x, w, eps) }

// LayerNorm normalises the last axis to zero mean and unit variance, then
// applies w and b (either may be nil).
func LayerNorm(x, w, b *Array, eps float32) *Array { return layerNormOp(x, w, b, eps) }
