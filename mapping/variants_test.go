package mapping

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

// The required-set generator and inference must be inverse to each other for
// architectures other than the released ones.

func TestDiTVariants(t *testing.T) {
	variants := []DiTArch{
		{ModelType: "t2v", PatchSize: []int{1, 2, 2}, TextLen: 512, InDim: 16, Dim: 256, FFNDim: 1024, FreqDim: 256,
			TextDim: 4096, OutDim: 16, NumHeads: 8, NumLayers: 3, WindowSize: []int{-1, -1}, QKNorm: true, CrossAttnNorm: true, Eps: 1e-6},
		{ModelType: "i2v", PatchSize: []int{2, 2, 2}, TextLen: 64, InDim: 36, Dim: 192, FFNDim: 384, FreqDim: 32,
			TextDim: 96, OutDim: 16, NumHeads: 2, NumLayers: 11, WindowSize: []int{-1, -1}, QKNorm: false, CrossAttnNorm: false, Eps: 1e-5},
		{ModelType: "s2v", PatchSize: []int{1, 1, 1}, TextLen: 8, InDim: 4, Dim: 96, FFNDim: 64, FreqDim: 16,
			TextDim: 8, OutDim: 4, NumHeads: 6, NumLayers: 1, WindowSize: []int{-1, -1}, QKNorm: true, CrossAttnNorm: false, Eps: 1e-6},
	}
	for i, v := range variants {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			src := withDType(v.RequiredTorch(), tensor.BF16)
			cfg := fmt.Sprintf(`{"model_type": %q, "text_len": %d, "num_heads": %d, "eps": %g, "num_layers": %d}`,
				v.ModelType, v.TextLen, v.NumHeads, v.Eps, v.NumLayers)
			plan, err := PlanComponent(ComponentDiT, src, []byte(cfg))
			require.NoError(t, err)
			require.Equal(t, &v, plan.Arch)
			require.Len(t, plan.Entries, len(src))
			perBlock := 21 + 2*boolInt(v.CrossAttnNorm) + 4*boolInt(v.QKNorm)
			require.Len(t, src, 15+v.NumLayers*perBlock)
		})
	}
}

func TestT5Variants(t *testing.T) {
	variants := []T5Arch{
		{Vocab: 100, Dim: 32, DimAttn: 48, DimFFN: 80, NumHeads: 6, NumLayers: 3, NumBuckets: 16, SharedPos: true},
		{Vocab: 7, Dim: 8, DimAttn: 8, DimFFN: 8, NumHeads: 1, NumLayers: 1, NumBuckets: 4, SharedPos: false},
	}
	for i, v := range variants {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			src := withDType(v.RequiredTorch(), tensor.F32)
			plan, err := PlanComponent(ComponentT5, src, nil)
			require.NoError(t, err)
			require.Equal(t, &v, plan.Arch)
			wantCount := 2 + 9*v.NumLayers
			if v.SharedPos {
				wantCount++
			} else {
				wantCount += v.NumLayers
			}
			require.Len(t, plan.Entries, wantCount)
		})
	}
	shared := variants[0].RequiredTorch()
	require.Equal(t, "blocks.0.attn.k.weight", shared[0].Name)
	require.Contains(t, shared, tensor.Info{Name: "pos_embedding.embedding.weight", Shape: []int64{16, 6}})
}

func TestVAEVariants(t *testing.T) {
	variants := []VAEArch{
		{Dim: 8, DecDim: 4, ZDim: 4, DimMult: []int{1, 2, 4}, NumResBlocks: 1, AttnScales: []float64{},
			TemperalDownsample: []bool{true, false}, TemperalUpsample: []bool{false, true}},
		{Dim: 16, DecDim: 16, ZDim: 8, DimMult: []int{1, 1, 2, 2, 4}, NumResBlocks: 3, AttnScales: []float64{},
			TemperalDownsample: []bool{false, false, true, true}, TemperalUpsample: []bool{true, true, false, false}},
		{Dim: 12, DecDim: 6, ZDim: 2, DimMult: []int{3}, NumResBlocks: 2, AttnScales: []float64{},
			TemperalDownsample: nil, TemperalUpsample: nil},
	}
	for i, v := range variants {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			src := withDType(v.RequiredTorch(), tensor.F32)
			plan, err := PlanComponent(ComponentVAE, src, nil)
			require.NoError(t, err)
			require.Equal(t, &v, plan.Arch)
			require.Len(t, plan.Entries, len(src))
		})
	}
	// The decoder's upsample flags must mirror the encoder's.
	bad := variants[0]
	bad.TemperalUpsample = []bool{true, false}
	_, err := PlanComponent(ComponentVAE, withDType(bad.RequiredTorch(), tensor.F32), nil)
	pe := planErr(t, err)
	require.Len(t, pe.Problems, 1)
	require.Equal(t, ProblemArch, pe.Problems[0].Kind)
	require.Contains(t, pe.Problems[0].Detail, "not the reverse")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
