//go:build mlx

package mlx_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

// refConv is a direct channels-last convolution: x is N,S...,C, w is
// O,K...,C, with per-axis stride and symmetric zero padding.
func refConv(x []float32, xShape []int, w []float32, wShape []int, stride, pad []int) ([]float32, []int) {
	nsp := len(xShape) - 2
	n, c, o := xShape[0], xShape[len(xShape)-1], wShape[0]
	outShape := []int{n}
	for i := 0; i < nsp; i++ {
		outShape = append(outShape, (xShape[1+i]+2*pad[i]-wShape[1+i])/stride[i]+1)
	}
	outShape = append(outShape, o)
	size := 1
	for _, d := range outShape {
		size *= d
	}
	out := make([]float32, size)
	outPos := make([]int, nsp)
	kPos := make([]int, nsp)
	var walk func(axis int, visit func())
	walk = func(axis int, visit func()) {
		if axis == nsp {
			visit()
			return
		}
		for outPos[axis] = 0; outPos[axis] < outShape[1+axis]; outPos[axis]++ {
			walk(axis+1, visit)
		}
	}
	var walkK func(axis int, visit func())
	walkK = func(axis int, visit func()) {
		if axis == nsp {
			visit()
			return
		}
		for kPos[axis] = 0; kPos[axis] < wShape[1+axis]; kPos[axis]++ {
			walkK(axis+1, visit)
		}
	}
	for b := 0; b < n; b++ {
		walk(0, func() {
			for oc := 0; oc < o; oc++ {
				acc := 0.0
				walkK(0, func() {
					in := []int{b}
					for i := 0; i < nsp; i++ {
						p := outPos[i]*stride[i] + kPos[i] - pad[i]
						if p < 0 || p >= xShape[1+i] {
							return
						}
						in = append(in, p)
					}
					wi := append([]int{oc}, kPos...)
					for ic := 0; ic < c; ic++ {
						acc += float64(x[index(xShape, append(in, ic)...)]) * float64(w[index(wShape, append(wi, ic)...)])
					}
				})
				out[index(outShape, append(append([]int{b}, outPos...), oc)...)] = float32(acc)
			}
		})
	}
	return out, outShape
}

func TestConv3dMatchesDirectConvolution(t *testing.T) {
	xShape := []int{2, 4, 5, 6, 3}
	wShape := []int{4, 3, 3, 2, 3}
	x, w := randn(11, 2*4*5*6*3), randn(12, 4*3*3*2*3)
	for _, tc := range []struct{ stride, pad []int }{
		{[]int{1, 1, 1}, []int{0, 0, 0}},
		{[]int{1, 2, 2}, []int{1, 1, 0}},
		{[]int{2, 1, 3}, []int{2, 0, 1}},
	} {
		want, wantShape := refConv(x, xShape, w, wShape, tc.stride, tc.pad)
		do(t, func() error {
			got := mlx.Conv3d(mlx.FromFloat32s(x, xShape...), mlx.FromFloat32s(w, wShape...), tc.stride, tc.pad)
			require.Equal(t, wantShape, got.Shape(), "stride %v pad %v", tc.stride, tc.pad)
			requireClose(t, want, values(t, got), 1e-4)
			return nil
		})
	}
}

func TestConv2dMatchesDirectConvolution(t *testing.T) {
	xShape := []int{1, 7, 6, 4}
	wShape := []int{5, 3, 3, 4}
	x, w := randn(21, 7*6*4), randn(22, 5*3*3*4)
	for _, tc := range []struct{ stride, pad []int }{
		{[]int{1, 1}, []int{1, 1}},
		{[]int{2, 2}, []int{0, 1}},
	} {
		want, wantShape := refConv(x, xShape, w, wShape, tc.stride, tc.pad)
		do(t, func() error {
			got := mlx.Conv2d(mlx.FromFloat32s(x, xShape...), mlx.FromFloat32s(w, wShape...), tc.stride, tc.pad)
			require.Equal(t, wantShape, got.Shape())
			requireClose(t, want, values(t, got), 1e-4)
			return nil
		})
	}
}

func TestConvGeneralAsymmetricPaddingMatchesPrePadding(t *testing.T) {
	// Causal temporal padding (2 before, 0 after) as in the Wan VAE equals
	// padding the input explicitly and convolving without padding.
	xShape := []int{1, 3, 4, 4, 2}
	wShape := []int{3, 3, 3, 3, 2}
	x, w := randn(31, 3*4*4*2), randn(32, 3*3*3*3*2)
	do(t, func() error {
		xa, wa := mlx.FromFloat32s(x, xShape...), mlx.FromFloat32s(w, wShape...)
		got := mlx.ConvGeneral(xa, wa, nil, []int{2, 1, 1}, []int{0, 1, 1}, nil, nil, 1, false)
		padded := mlx.Pad(xa, []int{1, 2, 3}, []int{2, 1, 1}, []int{0, 1, 1}, 0)
		want := mlx.Conv3d(padded, wa, []int{1, 1, 1}, []int{0, 0, 0})
		require.Equal(t, []int{1, 3, 4, 4, 3}, got.Shape())
		requireClose(t, values(t, want), values(t, got), 1e-5)
		return nil
	})
}
