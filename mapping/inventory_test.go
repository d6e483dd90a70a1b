package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

func TestPlanTI2V5BDiT(t *testing.T) {
	src, inv := loadInventory(t, ComponentDiT)
	require.Len(t, src, 825)
	plan, err := PlanComponent(ComponentDiT, src, []byte(ti2v5BConfig))
	require.NoError(t, err)
	require.Len(t, plan.Entries, inv.TensorCount)
	require.Equal(t, int64(4_999_787_712), inv.ParamCount)
	require.Equal(t, inv.ParamCount, entryParams(plan))

	a := plan.Arch.(*DiTArch)
	require.Equal(t, &DiTArch{
		ModelType: "ti2v", PatchSize: []int{1, 2, 2}, TextLen: 512, InDim: 48, Dim: 3072,
		FFNDim: 14336, FreqDim: 256, TextDim: 4096, OutDim: 48, NumHeads: 24, NumLayers: 30,
		WindowSize: []int{-1, -1}, QKNorm: true, CrossAttnNorm: true, Eps: 1e-6,
	}, a)
	require.Equal(t, 128, a.HeadDim())

	e := findEntry(t, plan, "patch_embedding.weight")
	require.Equal(t, ConvToChannelsLast, e.Transform)
	require.Equal(t, []int64{3072, 1, 2, 2, 48}, e.OutShape)
	e = findEntry(t, plan, "blocks.7.ffn.layers.2.weight")
	require.Equal(t, "blocks.7.ffn.2.weight", e.Source.Name)
	require.Equal(t, Identity, e.Transform)
	require.Equal(t, []int64{3072, 14336}, e.OutShape)
	e = findEntry(t, plan, "blocks.0.modulation")
	require.Equal(t, []int64{1, 6, 3072}, e.OutShape)
	findEntry(t, plan, "time_projection.layers.1.weight")
	findEntry(t, plan, "text_embedding.layers.0.bias")

	// Entries are sorted by target and RequiredMLX agrees with them.
	req := a.RequiredMLX()
	require.Len(t, req, len(plan.Entries))
	for i, r := range req {
		require.Equal(t, r.Name, plan.Entries[i].Target)
		require.Equal(t, r.Shape, plan.Entries[i].OutShape)
	}
}

func TestPlanTI2V5BT5(t *testing.T) {
	src, inv := loadInventory(t, ComponentT5)
	plan, err := PlanComponent(ComponentT5, src, nil)
	require.NoError(t, err)
	require.Len(t, plan.Entries, 242)
	require.Equal(t, int64(5_680_910_336), entryParams(plan))
	require.Equal(t, inv.ParamCount, entryParams(plan))
	require.Equal(t, &T5Arch{Vocab: 256384, Dim: 4096, DimAttn: 4096, DimFFN: 10240, NumHeads: 64,
		NumLayers: 24, NumBuckets: 32, SharedPos: false}, plan.Arch)
	e := findEntry(t, plan, "blocks.3.ffn.gate.layers.0.weight")
	require.Equal(t, "blocks.3.ffn.gate.0.weight", e.Source.Name)
	require.Equal(t, tensor.BF16, e.Source.DType)
}

func TestPlanTI2V5BVAE(t *testing.T) {
	src, inv := loadInventory(t, ComponentVAE)
	plan, err := PlanComponent(ComponentVAE, src, nil)
	require.NoError(t, err)
	require.Len(t, plan.Entries, 196)
	require.Equal(t, int64(704_688_668), entryParams(plan))
	require.Equal(t, inv.ParamCount, entryParams(plan))
	require.Equal(t, &VAEArch{Dim: 160, DecDim: 256, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
		AttnScales: []float64{}, TemperalDownsample: []bool{false, true, true},
		TemperalUpsample: []bool{true, true, false}}, plan.Arch)

	cases := []struct {
		target, source string
		tr             Transform
		out            []int64
	}{
		{"encoder.downsamples.layers.0.downsamples.layers.2.resample.layers.1.weight",
			"encoder.downsamples.0.downsamples.2.resample.1.weight", ConvToChannelsLast, []int64{160, 3, 3, 160}},
		{"decoder.middle.layers.1.norm.gamma", "decoder.middle.1.norm.gamma", SqueezeGamma, []int64{1024}},
		{"decoder.head.layers.2.weight", "decoder.head.2.weight", ConvToChannelsLast, []int64{12, 3, 3, 3, 256}},
		{"encoder.middle.layers.1.to_qkv.weight", "encoder.middle.1.to_qkv.weight", ConvToChannelsLast, []int64{1920, 1, 1, 640}},
		{"decoder.upsamples.layers.0.upsamples.layers.3.time_conv.weight", "decoder.upsamples.0.upsamples.3.time_conv.weight",
			ConvToChannelsLast, []int64{2048, 3, 1, 1, 1024}},
		{"encoder.downsamples.layers.1.downsamples.layers.0.residual.layers.0.gamma",
			"encoder.downsamples.1.downsamples.0.residual.0.gamma", SqueezeGamma, []int64{160}},
		{"encoder.downsamples.layers.1.downsamples.layers.0.shortcut.weight",
			"encoder.downsamples.1.downsamples.0.shortcut.weight", ConvToChannelsLast, []int64{320, 1, 1, 1, 160}},
		{"conv1.bias", "conv1.bias", Identity, []int64{96}},
	}
	for _, c := range cases {
		e := findEntry(t, plan, c.target)
		require.Equal(t, c.source, e.Source.Name)
		require.Equal(t, c.tr, e.Transform, c.target)
		require.Equal(t, c.out, e.OutShape, c.target)
	}
}

// TestCheckConvertedTI2V5B converts the inventory through its own plan and
// checks the converted view infers the same architecture.
func TestCheckConvertedTI2V5B(t *testing.T) {
	for _, c := range Components {
		t.Run(string(c), func(t *testing.T) {
			src, _ := loadInventory(t, c)
			plan, err := PlanComponent(c, src, []byte(ti2v5BConfig))
			require.NoError(t, err)
			var mlx []tensor.Info
			for _, e := range plan.Entries {
				mlx = append(mlx, tensor.Info{Name: e.Target, DType: tensor.BF16, Shape: e.OutShape})
			}
			arch, err := CheckConverted(c, mlx, []byte(ti2v5BConfig))
			require.NoError(t, err)
			require.Equal(t, plan.Arch, arch)

			back, err := ToPyTorch(c, mlx)
			require.NoError(t, err)
			tensor.SortInfos(back)
			want := withDType(src, tensor.BF16)
			tensor.SortInfos(want)
			require.Equal(t, want, back)

			names := make([]string, len(mlx))
			for i, m := range mlx {
				names[i] = m.Name
			}
			comp, naming, err := Detect(names)
			require.NoError(t, err)
			require.Equal(t, c, comp)
			require.Equal(t, NamingMLX, naming)
		})
	}
}

func entryParams(p *Plan) int64 {
	var n int64
	for _, e := range p.Entries {
		n += tensor.NumElements(e.OutShape)
	}
	return n
}

func findEntry(t *testing.T, p *Plan, target string) Entry {
	t.Helper()
	for _, e := range p.Entries {
		if e.Target == target {
			return e
		}
	}
	require.Failf(t, "no entry", "plan has no target %s", target)
	return Entry{}
}
