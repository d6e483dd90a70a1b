package weights

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

func TestInfosOf(t *testing.T) {
	infos := InfosOf(map[string][]int{"norm.weight": {64}, "blocks.0.attn.q.weight": {64, 32}}, tensor.BF16)
	require.Equal(t, []tensor.Info{
		{Name: "blocks.0.attn.q.weight", DType: tensor.BF16, Shape: []int64{64, 32}},
		{Name: "norm.weight", DType: tensor.BF16, Shape: []int64{64}},
	}, infos)
	require.Equal(t, tensor.Info{Name: "x", DType: tensor.F32, Shape: []int64{}}, Info("x", tensor.F32, nil))
}
