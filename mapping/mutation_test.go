package mapping

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

// mutation edits a valid source set; the plan must then report exactly one
// problem of the given kind naming the given tensor.
type mutation struct {
	name   string
	kind   ProblemKind
	tensor string
	edit   func(src []tensor.Info) []tensor.Info
}

func drop(name string) func([]tensor.Info) []tensor.Info {
	return func(src []tensor.Info) []tensor.Info {
		return slices.DeleteFunc(src, func(t tensor.Info) bool { return t.Name == name })
	}
}

func add(name string, shape ...int64) func([]tensor.Info) []tensor.Info {
	return func(src []tensor.Info) []tensor.Info {
		return append(src, tensor.Info{Name: name, DType: tensor.F32, Shape: shape})
	}
}

func reshape(name string, shape ...int64) func([]tensor.Info) []tensor.Info {
	return func(src []tensor.Info) []tensor.Info {
		for i := range src {
			if src[i].Name == name {
				src[i].Shape = shape
			}
		}
		return src
	}
}

func duplicate(name string) func([]tensor.Info) []tensor.Info {
	return func(src []tensor.Info) []tensor.Info {
		for _, t := range src {
			if t.Name == name {
				return append(src, t)
			}
		}
		return src
	}
}

var mutations = map[Component][]mutation{
	ComponentDiT: {
		{"drop", ProblemMissing, "blocks.17.cross_attn.k.bias", drop("blocks.17.cross_attn.k.bias")},
		{"drop-norm", ProblemMissing, "blocks.3.norm3.weight", drop("blocks.3.norm3.weight")},
		{"add-unknown", ProblemUnknown, "blocks.2.self_attn.extra.weight", add("blocks.2.self_attn.extra.weight", 3072)},
		{"add-substring", ProblemUnknown, "blocks.2.ffn0.weight", add("blocks.2.ffn0.weight", 3072)},
		{"add-unlisted-child", ProblemUnknown, "blocks.5.ffn.1.weight", add("blocks.5.ffn.1.weight", 3072)},
		{"shape", ProblemShape, "blocks.29.ffn.2.weight", reshape("blocks.29.ffn.2.weight", 3072, 14335)},
		{"rank", ProblemShape, "head.modulation", reshape("head.modulation", 2, 3072)},
		{"duplicate", ProblemDuplicate, "blocks.4.self_attn.o.weight", duplicate("blocks.4.self_attn.o.weight")},
		{"integer-dtype", ProblemDType, "blocks.1.modulation", func(src []tensor.Info) []tensor.Info {
			for i := range src {
				if src[i].Name == "blocks.1.modulation" {
					src[i].DType = tensor.I64
				}
			}
			return src
		}},
	},
	ComponentT5: {
		{"drop", ProblemMissing, "blocks.23.pos_embedding.embedding.weight", drop("blocks.23.pos_embedding.embedding.weight")},
		{"add-unexpected", ProblemUnexpected, "pos_embedding.embedding.weight", add("pos_embedding.embedding.weight", 32, 64)},
		{"shape", ProblemShape, "blocks.11.attn.o.weight", reshape("blocks.11.attn.o.weight", 4096, 4095)},
		{"duplicate", ProblemDuplicate, "norm.weight", duplicate("norm.weight")},
		{"add-unknown", ProblemUnknown, "blocks.0.ffn.gate.1.weight.x", add("blocks.0.ffn.gate.1.weight.x", 1)},
	},
	ComponentVAE: {
		{"drop", ProblemMissing, "decoder.upsamples.2.upsamples.0.shortcut.bias", drop("decoder.upsamples.2.upsamples.0.shortcut.bias")},
		{"add-shortcut", ProblemUnexpected, "encoder.downsamples.0.downsamples.1.shortcut.weight",
			add("encoder.downsamples.0.downsamples.1.shortcut.weight", 160, 160, 1, 1, 1)},
		{"add-unknown", ProblemUnknown, "encoder.downsamples.0.downsamples.0.residuals.0.gamma",
			add("encoder.downsamples.0.downsamples.0.residuals.0.gamma", 160, 1, 1, 1)},
		{"gamma-shape", ProblemShape, "encoder.middle.1.norm.gamma", reshape("encoder.middle.1.norm.gamma", 640, 1, 1, 1)},
		{"gamma-not-unit", ProblemShape, "decoder.head.0.gamma", reshape("decoder.head.0.gamma", 256, 2, 1, 1)},
		{"conv-shape", ProblemShape, "decoder.head.2.weight", reshape("decoder.head.2.weight", 12, 256, 3, 3)},
		{"duplicate", ProblemDuplicate, "conv2.weight", duplicate("conv2.weight")},
	},
}

func TestPlanMutations(t *testing.T) {
	for c, ms := range mutations {
		for _, m := range ms {
			t.Run(string(c)+"/"+m.name, func(t *testing.T) {
				src, _ := loadInventory(t, c)
				src = m.edit(src)
				plan, err := PlanComponent(c, src, []byte(ti2v5BConfig))
				pe := planErr(t, err)
				require.Equal(t, c, pe.Component)
				require.Len(t, pe.Problems, 1, "problems: %v", pe.Problems)
				require.Equal(t, m.kind, pe.Problems[0].Kind)
				require.Equal(t, m.tensor, pe.Problems[0].Name)
				require.Contains(t, pe.Error(), m.tensor)
				require.NotNil(t, plan)
				require.NotNil(t, plan.Arch)
			})
		}
	}
}

// TestPlanManyProblems checks one error lists every problem and names the
// file the caller sets.
func TestPlanManyProblems(t *testing.T) {
	src, _ := loadInventory(t, ComponentDiT)
	src = drop("blocks.0.ffn.0.bias")(src)
	src = add("blocks.0.ffn.0.scale", 1)(src)
	src = reshape("time_embedding.2.weight", 3072, 3071)(src)
	src = duplicate("head.head.bias")(src)
	_, err := PlanComponent(ComponentDiT, src, []byte(ti2v5BConfig))
	pe := planErr(t, err)
	require.Len(t, pe.Problems, 4)
	require.True(t, pe.Has(ProblemMissing, "blocks.0.ffn.0.bias"))
	require.True(t, pe.Has(ProblemUnknown, "blocks.0.ffn.0.scale"))
	require.True(t, pe.Has(ProblemShape, "time_embedding.2.weight"))
	require.True(t, pe.Has(ProblemDuplicate, "head.head.bias"))
	pe.File = "/x/diffusion_pytorch_model.safetensors.index.json"
	require.Contains(t, pe.Error(), "/x/diffusion_pytorch_model.safetensors.index.json: dit: 4 problem(s)")
	require.Contains(t, pe.Error(), "(3072, 3071)")
}

// TestPlanDropAnchor removes tensors inference reads first; the fallbacks
// keep inference working so the report names the missing tensor.
func TestPlanDropAnchor(t *testing.T) {
	for c, name := range map[Component]string{
		ComponentDiT: "patch_embedding.bias",
		ComponentT5:  "token_embedding.weight",
		ComponentVAE: "encoder.conv1.weight",
	} {
		src, _ := loadInventory(t, c)
		_, err := PlanComponent(c, drop(name)(src), []byte(ti2v5BConfig))
		pe := planErr(t, err)
		if c == ComponentT5 {
			// vocab has no other source: inference says what it lacks.
			require.Len(t, pe.Problems, 1)
			require.Equal(t, ProblemArch, pe.Problems[0].Kind)
			require.Contains(t, pe.Problems[0].Detail, "vocab")
			require.Contains(t, pe.Problems[0].Detail, name)
			continue
		}
		require.Len(t, pe.Problems, 1, "%v", pe.Problems)
		require.True(t, pe.Has(ProblemMissing, name), "%v", pe.Problems)
	}
}

func TestCheckConvertedMutations(t *testing.T) {
	src, _ := loadInventory(t, ComponentVAE)
	plan, err := PlanComponent(ComponentVAE, src, nil)
	require.NoError(t, err)
	var mlx []tensor.Info
	for _, e := range plan.Entries {
		mlx = append(mlx, tensor.Info{Name: e.Target, DType: tensor.BF16, Shape: e.OutShape})
	}
	mlx = drop("decoder.head.layers.2.bias")(mlx)
	mlx = reshape("decoder.middle.layers.1.norm.gamma", 1024, 1, 1)(mlx)
	mlx = add("encoder.middle.1.proj.bias", 640)(mlx) // PyTorch-style name in a converted set
	_, err = CheckConverted(ComponentVAE, mlx, nil)
	pe := planErr(t, err)
	require.Len(t, pe.Problems, 3, "%v", pe.Problems)
	require.True(t, pe.Has(ProblemMissing, "decoder.head.layers.2.bias"))
	require.True(t, pe.Has(ProblemShape, "decoder.middle.layers.1.norm.gamma"))
	require.True(t, pe.Has(ProblemUnknown, "encoder.middle.1.proj.bias"))
}
