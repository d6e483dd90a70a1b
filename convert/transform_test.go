package convert

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/tensor"
)

func TestChannelsLastEveryElementSize(t *testing.T) {
	shape := []int64{3, 5, 2, 1, 3}
	for _, dt := range []tensor.DType{tensor.U8, tensor.BF16, tensor.F32, tensor.F64} {
		info := tensor.Info{Name: "w", DType: dt, Shape: shape}
		src := make([]byte, info.NumBytes())
		for i := range src {
			src[i] = byte(i * 7)
		}
		xf, err := newTensorTransform(info, layoutChannelsLast, dt)
		require.NoError(t, err)
		require.False(t, xf.passThrough())
		dst := make([]byte, len(src))
		xf.apply(dst, src, nil)
		require.Equal(t, refChannelsLast(src, shape, dt.Size()), dst, dt.Name())
	}
}

func TestChannelsLastFusedWithCast(t *testing.T) {
	shape := []int64{2, 3, 2, 2}
	info := tensor.Info{Name: "w", DType: tensor.F32, Shape: shape}
	vals := make([]float32, info.NumElements())
	for i := range vals {
		vals[i] = float32(i) + 0.5
	}
	src := f32Bytes(vals...)
	xf, err := newTensorTransform(info, layoutChannelsLast, tensor.BF16)
	require.NoError(t, err)
	dst := make([]byte, xf.outLen(int64(len(src))))
	xf.apply(dst, src, make([]byte, len(src)))
	perm := refChannelsLast(src, shape, 4)
	for i := 0; i < len(perm)/4; i++ {
		x := math.Float32frombits(binary.LittleEndian.Uint32(perm[4*i:]))
		require.Equal(t, refRoundBF16(x), binary.LittleEndian.Uint16(dst[2*i:]), "element %d", i)
	}
}

func TestChunkedTransformEqualsWhole(t *testing.T) {
	// The writer feeds whole slabs per chunk; any split on a slab boundary
	// must give the same bytes as one call.
	shape := []int64{4, 3, 2, 2}
	info := tensor.Info{Name: "w", DType: tensor.F32, Shape: shape}
	vals := make([]float32, info.NumElements())
	for i := range vals {
		vals[i] = float32(i) * 1.001
	}
	src := f32Bytes(vals...)
	xf, err := newTensorTransform(info, layoutChannelsLast, tensor.F16)
	require.NoError(t, err)
	whole := make([]byte, xf.outLen(int64(len(src))))
	xf.apply(whole, src, make([]byte, len(src)))
	unit := int(xf.unit())
	require.Equal(t, 3*2*2*4, unit)
	var parts []byte
	for off := 0; off < len(src); off += unit {
		d := make([]byte, xf.outLen(int64(unit)))
		xf.apply(d, src[off:off+unit], make([]byte, unit))
		parts = append(parts, d...)
	}
	require.Equal(t, whole, parts)
}

func TestTransformPassThroughAndRejects(t *testing.T) {
	gamma := tensor.Info{Name: "g", DType: tensor.F32, Shape: []int64{8, 1, 1, 1}}
	xf, err := newTensorTransform(gamma, layoutKeep, tensor.F32)
	require.NoError(t, err)
	require.True(t, xf.passThrough())
	// A 1×1 conv keeps its byte order: no work needed.
	conv1 := tensor.Info{Name: "c", DType: tensor.BF16, Shape: []int64{8, 4, 1, 1}}
	xf, err = newTensorTransform(conv1, layoutChannelsLast, tensor.BF16)
	require.NoError(t, err)
	require.True(t, xf.passThrough())
	empty := tensor.Info{Name: "e", DType: tensor.F32, Shape: []int64{4, 0, 3, 3}}
	xf, err = newTensorTransform(empty, layoutChannelsLast, tensor.F32)
	require.NoError(t, err)
	require.True(t, xf.passThrough())
	_, err = newTensorTransform(tensor.Info{Name: "ids", DType: tensor.I64, Shape: []int64{3}}, layoutKeep, tensor.BF16)
	require.ErrorContains(t, err, "ids")
}
