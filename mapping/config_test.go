package mapping

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

func TestInferDiTConfig(t *testing.T) {
	src, _ := loadInventory(t, ComponentDiT)

	a, err := InferDiT(src, nil)
	require.NoError(t, err)
	require.Equal(t, 0, a.NumHeads, "heads are unknown without config.json")
	require.Equal(t, 0, a.HeadDim())
	require.Equal(t, "", a.ModelType)
	require.Equal(t, 3072, a.Dim)
	require.Equal(t, []int{-1, -1}, a.WindowSize)

	bad := []struct {
		name, config, want string
	}{
		{"heads-divide", `{"num_heads": 25}`, "dim 3072 is not divisible by num_heads 25"},
		{"head-dim-odd", `{"num_heads": 1024}`, "head_dim 3 (dim 3072 / num_heads 1024) must be even"},
		{"heads-zero", `{"num_heads": 0}`, "num_heads 0 must be positive"},
		{"dim", `{"num_heads": 24, "dim": 2048}`, "config.json has dim 2048 but the weights have 3072"},
		{"layers", `{"num_heads": 24, "num_layers": 32}`, "config.json has num_layers 32 but the weights have 30"},
		{"patch", `{"num_heads": 24, "patch_size": [1, 4, 4]}`, "patch_size [1 4 4] but the weights have [1 2 2]"},
		{"qk-norm", `{"num_heads": 24, "qk_norm": false}`, "qk_norm false but the weights have its norm tensors"},
		{"model-type", `{"num_heads": 24, "model_type": "t2i"}`, `model_type "t2i" is not one of`},
		{"syntax", `{"num_heads": 24,`, "config.json: unexpected EOF"},
		{"type", `{"num_heads": "24"}`, "config.json: json: cannot unmarshal string"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, err := InferDiT(src, []byte(b.config))
			pe := planErr(t, err)
			require.Len(t, pe.Problems, 1, "%v", pe.Problems)
			require.Equal(t, ProblemArch, pe.Problems[0].Kind)
			require.Contains(t, pe.Problems[0].Detail, b.want)
		})
	}
}

func TestInferRejectsBadAnchors(t *testing.T) {
	_, err := InferDiT(nil, nil)
	pe := planErr(t, err)
	require.True(t, len(pe.Problems) >= 5)
	require.Contains(t, pe.Error(), "cannot infer dim: tensor patch_embedding.bias / head.modulation / blocks.#.modulation is missing")

	src := []tensor.Info{{Name: "patch_embedding.weight", DType: tensor.F32, Shape: []int64{8, 4, 2, 2}}}
	_, err = InferDiT(src, nil)
	pe = planErr(t, err)
	require.True(t, pe.Has(ProblemArch, "patch_embedding.weight"), "%v", pe.Problems)

	_, err = InferVAE([]tensor.Info{{Name: "encoder.conv1.weight", Shape: []int64{16, 12, 3, 3, 3}},
		{Name: "encoder.head.2.weight", Shape: []int64{7, 16, 3, 3, 3}}})
	pe = planErr(t, err)
	require.Contains(t, pe.Error(), "cannot infer z_dim (encoder head channels / 2): 7 is not a multiple of 2")
	require.Contains(t, pe.Error(), "no encoder stages")

	_, err = InferT5([]tensor.Info{{Name: "token_embedding.weight", Shape: []int64{10, 8}},
		{Name: "blocks.0.attn.q.weight", Shape: []int64{9, 8}},
		{Name: "blocks.0.pos_embedding.embedding.weight", Shape: []int64{4, 2}}})
	pe = planErr(t, err)
	require.Contains(t, pe.Error(), "dim_attn 9 is not divisible by num_heads 2")
	require.Contains(t, pe.Error(), "cannot infer dim_ffn")
}

func TestPlanUnknownComponent(t *testing.T) {
	_, err := PlanComponent("unet", nil, nil)
	require.EqualError(t, err, `unknown component "unet"`)
	_, err = ParseComponent("unet")
	require.Error(t, err)
	c, err := ParseComponent("vae")
	require.NoError(t, err)
	require.Equal(t, ComponentVAE, c)
}

// TestInferHugeIndex: a stray huge block index is reported, not used to
// size the required set.
func TestInferHugeIndex(t *testing.T) {
	src, _ := loadInventory(t, ComponentDiT)
	src = append(src, tensor.Info{Name: "blocks.999999999.modulation", DType: tensor.F32, Shape: []int64{1, 6, 3072}})
	_, err := PlanComponent(ComponentDiT, src, nil)
	pe := planErr(t, err)
	require.Len(t, pe.Problems, 1)
	require.Equal(t, "architecture: index blocks.999999999 is beyond what the 811 blocks.* tensors present can hold (each needs at least 21)", pe.Problems[0].String())
}

// TestLayerCountBoundedByTensorsPresent: many tiny tensors, each claiming
// a block of its own, do not make the required set (or the problem list)
// larger than the tensors present; config.json bounds the count too.
func TestLayerCountBoundedByTensorsPresent(t *testing.T) {
	src, _ := loadInventory(t, ComponentDiT)
	for i := 0; i < 100_000; i++ {
		src = append(src, tensor.Info{Name: fmt.Sprintf("blocks.%d.norm3.weight", 1000+i), DType: tensor.F32, Shape: []int64{0}})
	}
	_, err := PlanComponent(ComponentDiT, src, nil)
	pe := planErr(t, err)
	require.Len(t, pe.Problems, 1)
	require.Contains(t, pe.Problems[0].String(), "index blocks.100999 is beyond what the 100810 blocks.* tensors present can hold")

	a, err := InferDiT(src[:len(src)-100_000], []byte(`{"num_layers": 1}`))
	require.Error(t, err)
	require.Equal(t, 1, a.NumLayers, "config.json's smaller count bounds the required set")
	var blocks []string
	for _, r := range a.RequiredTorch() {
		if strings.HasPrefix(r.Name, "blocks.") {
			blocks = append(blocks, strings.SplitN(r.Name, ".", 3)[1])
		}
	}
	require.NotEmpty(t, blocks)
	for _, b := range blocks {
		require.Equal(t, "0", b)
	}
}
