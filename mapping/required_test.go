package mapping

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

func TestCheckRequiredAcceptsTheRequiredSet(t *testing.T) {
	a := &T5Arch{Vocab: 16, Dim: 8, DimAttn: 8, DimFFN: 12, NumHeads: 2, NumLayers: 2, NumBuckets: 32}
	require.NoError(t, CheckRequired(a, withDType(a.RequiredMLX(), tensor.BF16)))
	require.NoError(t, CheckRequired(a, a.RequiredMLX())) // dtype not given: not checked
}

func TestCheckRequiredNamesEveryProblem(t *testing.T) {
	a := &T5Arch{Vocab: 16, Dim: 8, DimAttn: 8, DimFFN: 12, NumHeads: 2, NumLayers: 2, NumBuckets: 32}
	var infos []tensor.Info
	for _, r := range withDType(a.RequiredMLX(), tensor.F32) {
		switch r.Name {
		case "norm.weight":
			continue
		case "blocks.0.attn.o.weight":
			r.Shape = []int64{8, 4}
		case "blocks.1.norm2.weight":
			r.DType = tensor.I32
		}
		infos = append(infos, r)
	}
	infos = append(infos, tensor.Info{Name: "blocks.0.ffn.gate.0.weight", DType: tensor.F32, Shape: []int64{12, 8}})
	pe := planErr(t, CheckRequired(a, infos))
	require.Len(t, pe.Problems, 4)
	require.Equal(t, map[string]ProblemKind{
		"norm.weight":                ProblemMissing,
		"blocks.0.attn.o.weight":     ProblemShape,
		"blocks.1.norm2.weight":      ProblemDType,
		"blocks.0.ffn.gate.0.weight": ProblemUnexpected,
	}, pe.Kinds())
	require.Equal(t, pe.Kinds(), ProblemKinds(fmt.Errorf("wrapped: %w", pe)))
	require.Nil(t, ProblemKinds(errors.New("not a plan error")))
	require.Contains(t, pe.Error(), "shape tensor blocks.0.attn.o.weight: has shape (8, 4), the architecture requires (8, 8)")
}

func TestPlanErrorKindsKeepsTheFirstProblemOfEachName(t *testing.T) {
	pe := &PlanError{Component: ComponentVAE, Problems: []Problem{
		{Kind: ProblemArch, Detail: "no encoder stages"},
		{Kind: ProblemDuplicate, Name: "conv1.weight"},
		{Kind: ProblemShape, Name: "conv1.weight"},
		{Kind: ProblemMissing, Name: "conv2.bias"},
	}}
	require.Equal(t, map[string]ProblemKind{"conv1.weight": ProblemDuplicate, "conv2.bias": ProblemMissing}, pe.Kinds())
}
