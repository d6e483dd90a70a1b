//go:build mlx

package weights

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

// tinyT5 is a small T5 architecture whose weights the tests fabricate.
var tinyT5 = &mapping.T5Arch{Vocab: 16, Dim: 8, DimAttn: 8, DimFFN: 12, NumHeads: 2, NumLayers: 2, NumBuckets: 32}

// zeros makes zero arrays for the required tensors of a.
func zeros(a mapping.Arch, dt mlx.Dtype) map[string]*mlx.Array {
	ws := map[string]*mlx.Array{}
	for _, r := range a.RequiredMLX() {
		shape := make([]int, len(r.Shape))
		for i, d := range r.Shape {
			shape[i] = int(d)
		}
		ws[r.Name] = mlx.Zeros(dt, shape...)
	}
	return ws
}

func TestDTypeMapping(t *testing.T) {
	for md, want := range map[mlx.Dtype]tensor.DType{
		mlx.Float32: tensor.F32, mlx.BFloat16: tensor.BF16, mlx.Float16: tensor.F16, mlx.Int64: tensor.I64, mlx.Bool: tensor.Bool,
		mlx.Uint32: tensor.U32,
	} {
		got, ok := DType(md)
		require.True(t, ok)
		require.Equal(t, want, got, "%v", md)
	}
	_, ok := DType(mlx.Uint16)
	require.False(t, ok)
}

func TestArchAndCheck(t *testing.T) {
	require.NoError(t, mlx.Do(func() error {
		ws := zeros(tinyT5, mlx.BFloat16)
		infos, odd := Describe(ws)
		require.Empty(t, odd)
		require.Len(t, infos, 22)
		require.Equal(t, tensor.Info{Name: "blocks.0.attn.k.weight", DType: tensor.BF16, Shape: []int64{8, 8}}, infos[0])

		arch, err := Infer(mapping.ComponentT5, ws, nil)
		require.NoError(t, err)
		require.Equal(t, tinyT5, arch)
		require.NoError(t, Check(tinyT5, ws))

		delete(ws, "norm.weight")
		ws["blocks.0.attn.o.weight"] = mlx.Zeros(mlx.Float32, 8, 4)
		ws["blocks.1.norm1.weight"] = mlx.Zeros(mlx.Uint16, 8)
		ws["blocks.1.norm2.weight"] = mlx.Zeros(mlx.Float64, 8)
		ws["blocks.1.attn.q.weight"] = nil // counts as absent
		want := map[string]mapping.ProblemKind{
			"blocks.1.attn.q.weight": mapping.ProblemMissing, "norm.weight": mapping.ProblemMissing,
			"blocks.0.attn.o.weight": mapping.ProblemShape,
			"blocks.1.norm1.weight":  mapping.ProblemDType, "blocks.1.norm2.weight": mapping.ProblemDType,
		}
		var pe *mapping.PlanError
		require.True(t, errors.As(Check(tinyT5, ws), &pe))
		require.Len(t, pe.Problems, 5)
		require.Equal(t, want, pe.Kinds())

		// Infer reports the same problems: shape and presence from mapping,
		// the unsigned and float64 dtypes from Describe.
		_, err = Infer(mapping.ComponentT5, ws, nil)
		require.True(t, errors.As(err, &pe))
		require.Equal(t, want, pe.Kinds())
		return nil
	}))
}

func TestMLXDType(t *testing.T) {
	for in, want := range map[tensor.DType]mlx.Dtype{tensor.F32: mlx.Float32, tensor.BF16: mlx.BFloat16,
		tensor.F16: mlx.Float16, tensor.Invalid: mlx.Float32} {
		require.Equal(t, want, MLXDType(in), "%v", in)
	}
}

// Take keeps what the model uses beyond the Do and frees the rest now; an
// array under two names is kept once.
func TestTake(t *testing.T) {
	var used, unused, twice *mlx.Array
	var kept []*mlx.Array
	require.NoError(t, mlx.Do(func() error {
		used, unused, twice = mlx.Zeros(mlx.Float32, 2), mlx.Zeros(mlx.Float32, 3), mlx.Zeros(mlx.Float32, 4)
		ws := map[string]*mlx.Array{"a": used, "b": unused, "c": twice, "d": twice, "e": nil}
		kept = Take(ws, func(a *mlx.Array) bool { return a != unused })
		require.False(t, unused.Valid())
		return nil
	}))
	require.Equal(t, []*mlx.Array{used, twice}, kept)
	require.True(t, used.Valid())
	require.True(t, twice.Valid())
	used.Free()
	twice.Free()
	require.False(t, used.Valid())
}
