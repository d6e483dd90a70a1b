package weights

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

func TestComputeDType(t *testing.T) {
	for in, want := range map[tensor.DType]tensor.DType{tensor.Invalid: tensor.F32, tensor.F32: tensor.F32, tensor.BF16: tensor.BF16} {
		got, err := ComputeDType("dit", in, tensor.BF16)
		require.NoError(t, err)
		require.Equal(t, want, got, "%v", in)
	}
	_, err := ComputeDType("dit", tensor.F16, tensor.BF16)
	require.EqualError(t, err, "dit: compute dtype float16 is not supported (want float32 or bfloat16)")
	_, err = ComputeDType("t5", tensor.I32)
	require.EqualError(t, err, "t5: compute dtype int32 is not supported (want float32)")
}
