package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/tensor"
)

// loadA14BVAE returns the Wan2.1 VAE tensors of the A14B inventory (float32,
// as the release stores them) with its parameter and tensor counts.
func loadA14BVAE(t *testing.T) ([]tensor.Info, int64, int) {
	t.Helper()
	data, err := os.ReadFile(golden.A14BInventory())
	require.NoError(t, err)
	var inv struct {
		VAE struct {
			Params  int64              `json:"params"`
			Tensors int                `json:"tensors"`
			Shapes  map[string][]int64 `json:"shapes"`
		} `json:"vae2_1"`
	}
	require.NoError(t, json.Unmarshal(data, &inv))
	var src []tensor.Info
	for name, shape := range inv.VAE.Shapes {
		src = append(src, tensor.Info{Name: name, DType: tensor.F32, Shape: shape})
	}
	tensor.SortInfos(src)
	return src, inv.VAE.Params, inv.VAE.Tensors
}

func TestInferVAE21Inventory(t *testing.T) {
	src, params, count := loadA14BVAE(t)
	require.Equal(t, int64(126_892_531), params)
	require.Equal(t, 194, count)
	require.Len(t, src, 194)

	a, err := InferVAE21(src)
	require.NoError(t, err)
	require.Equal(t, &upstreamVAE21, a)
	require.NoError(t, a.Validate())
	require.Equal(t, []int{4, 8, 8}, a.VAEStride())
	require.Equal(t, []bool{true, true, false}, a.TemperalUpsample())

	any, err := InferAnyVAE(src)
	require.NoError(t, err)
	require.Equal(t, a, any)
	got, err := Infer(ComponentVAE, src, nil)
	require.NoError(t, err)
	require.Equal(t, a, got)

	// The required set is the inventory, name for name and shape for shape.
	require.Equal(t, withDType(a.RequiredTorch(), tensor.F32), src)
	require.Equal(t, params, tensor.ParamCount(a.RequiredTorch()))

	for _, l := range Layouts {
		t.Run(string(l), func(t *testing.T) {
			plan, err := PlanLayout(l, ComponentVAE, src, nil)
			require.NoError(t, err)
			require.Equal(t, a, plan.Arch)
			require.Len(t, plan.Entries, 194)
			require.Equal(t, params, entryParams(plan))
			checkConvertedRoundTrip(t, l, ComponentVAE, src, plan, nil)
			require.Equal(t, RequiredLayout(l, a), RequiredLayout(l, plan.Arch))
		})
	}
}

// TestVAE21Names spells out converted names and shapes of both layouts.
func TestVAE21Names(t *testing.T) {
	src, _, _ := loadA14BVAE(t)
	want := map[Layout]map[string][2][]int64{ // target → (source shape, converted shape)
		LayoutWanconv: {
			"encoder.downsamples.layers.0.residual.layers.0.gamma":  {{96, 1, 1, 1}, {96}},
			"encoder.downsamples.layers.2.resample.layers.1.weight": {{96, 96, 3, 3}, {96, 3, 3, 96}},
			"encoder.downsamples.layers.5.time_conv.weight":         {{192, 192, 3, 1, 1}, {192, 3, 1, 1, 192}},
			"encoder.downsamples.layers.3.shortcut.weight":          {{192, 96, 1, 1, 1}, {192, 1, 1, 1, 96}},
			"decoder.upsamples.layers.3.time_conv.weight":           {{768, 384, 3, 1, 1}, {768, 3, 1, 1, 384}},
			"decoder.upsamples.layers.3.resample.layers.1.weight":   {{192, 384, 3, 3}, {192, 3, 3, 384}},
			"decoder.upsamples.layers.4.shortcut.weight":            {{384, 192, 1, 1, 1}, {384, 1, 1, 1, 192}},
			"decoder.upsamples.layers.14.residual.layers.6.weight":  {{96, 96, 3, 3, 3}, {96, 3, 3, 3, 96}},
			"decoder.middle.layers.1.norm.gamma":                    {{384, 1, 1}, {384}},
			"decoder.middle.layers.1.to_qkv.weight":                 {{1152, 384, 1, 1}, {1152, 1, 1, 384}},
			"encoder.head.layers.2.weight":                          {{32, 384, 3, 3, 3}, {32, 3, 3, 3, 384}},
			"decoder.head.layers.2.weight":                          {{3, 96, 3, 3, 3}, {3, 3, 3, 3, 96}},
			"conv2.weight":                                          {{16, 16, 1, 1, 1}, {16, 1, 1, 1, 16}},
		},
		LayoutMLXVideo: {
			"encoder.downsamples.0.residual.0.gamma":  {{96, 1, 1, 1}, {96, 1, 1, 1}},
			"encoder.downsamples.2.resample.1.weight": {{96, 96, 3, 3}, {96, 3, 3, 96}},
			"decoder.upsamples.11.resample.1.weight":  {{96, 192, 3, 3}, {96, 3, 3, 192}},
			"decoder.upsamples.3.time_conv.weight":    {{768, 384, 3, 1, 1}, {768, 3, 1, 1, 384}},
			"decoder.middle.1.norm.gamma":             {{384, 1, 1}, {384, 1, 1}},
			"decoder.middle.1.proj.weight":            {{384, 384, 1, 1}, {384, 1, 1, 384}},
			"encoder.head.0.gamma":                    {{384, 1, 1, 1}, {384, 1, 1, 1}},
			"decoder.head.2.bias":                     {{3}, {3}},
		},
	}
	for l, names := range want {
		plan, err := PlanLayout(l, ComponentVAE, src, nil)
		require.NoError(t, err)
		for target, shapes := range names {
			e := findEntry(t, plan, target)
			require.Equal(t, shapes[0], e.Source.Shape, "%s %s", l, target)
			require.Equal(t, shapes[1], e.OutShape, "%s %s", l, target)
			require.Equal(t, target, TargetNameArch(l, plan.Arch, e.Source.Name))
			require.Equal(t, e.Source.Name, SourceNameArch(l, plan.Arch, target))
		}
	}
	// mlx-video's names are the upstream ones, its shapes issue 13's.
	plan, err := PlanLayout(LayoutMLXVideo, ComponentVAE, src, nil)
	require.NoError(t, err)
	require.Equal(t, issueTable("vae2_1", src), planTable(plan))
}

// TestTinyA14BVAE: the tiny releases' Wan2.1_VAE.pth infers the config of
// their golden.json.
func TestTinyA14BVAE(t *testing.T) {
	for _, k := range []golden.A14B{golden.T2VA14B, golden.I2VA14B} {
		t.Run(string(k), func(t *testing.T) {
			raw, err := os.ReadFile(golden.TinyA14BFacts(k))
			require.NoError(t, err)
			var facts struct {
				VAE struct {
					Config     VAE21Arch `json:"config"`
					ParamCount int64     `json:"param_count"`
				} `json:"vae"`
			}
			require.NoError(t, json.Unmarshal(raw, &facts))
			require.Equal(t, int64(3_602_371), facts.VAE.ParamCount)

			f, err := pth.Open(filepath.Join(golden.TinyA14BRelease(k), "Wan2.1_VAE.pth"))
			require.NoError(t, err)
			defer f.Close()
			a, err := InferAnyVAE(f.Tensors())
			require.NoError(t, err)
			require.Equal(t, &facts.VAE.Config, a)
			require.Equal(t, facts.VAE.ParamCount, tensor.ParamCount(a.RequiredMLX()))
			for _, l := range Layouts {
				plan, err := PlanLayout(l, ComponentVAE, f.Tensors(), nil)
				require.NoError(t, err)
				require.Len(t, plan.Entries, len(f.Tensors()))
				checkConvertedRoundTrip(t, l, ComponentVAE, f.Tensors(), plan, nil)
			}
		})
	}
}

// TestVAE21Variants: inference inverts the required-set generator for
// architectures other than the released one, attention levels included.
func TestVAE21Variants(t *testing.T) {
	variants := []VAE21Arch{
		{Dim: 8, ZDim: 4, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 1, AttnScales: []float64{},
			TemperalDownsample: []bool{true, false, true}},
		{Dim: 16, ZDim: 16, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2, AttnScales: []float64{1, 0.25},
			TemperalDownsample: []bool{false, true, true}},
		{Dim: 12, ZDim: 6, DimMult: []int{2, 3}, NumResBlocks: 3, AttnScales: []float64{2, 0.5},
			TemperalDownsample: []bool{true}},
		{Dim: 4, ZDim: 2, DimMult: []int{1}, NumResBlocks: 1, AttnScales: []float64{}, TemperalDownsample: []bool{}},
	}
	for _, v := range variants {
		src := withDType(v.RequiredTorch(), tensor.F32)
		for _, l := range Layouts {
			plan, err := PlanLayout(l, ComponentVAE, src, nil)
			require.NoError(t, err, "%+v", v)
			got := plan.Arch.(*VAE21Arch)
			require.Equal(t, &v, got)
			require.NoError(t, got.Validate())
			checkConvertedRoundTrip(t, l, ComponentVAE, src, plan, nil)
		}
	}
}

// TestVAE21Problems: every problem is listed, naming the tensor.
func TestVAE21Problems(t *testing.T) {
	src, _, _ := loadA14BVAE(t)
	var bad []tensor.Info
	for _, s := range src {
		switch s.Name {
		case "decoder.middle.1.to_qkv.weight", "encoder.downsamples.5.time_conv.bias":
			continue
		case "decoder.head.0.gamma":
			s.Shape = []int64{95, 1, 1, 1}
		}
		bad = append(bad, s)
	}
	bad = append(bad, tensor.Info{Name: "decoder.upsamples.3.extra.weight", DType: tensor.F32, Shape: []int64{1}})
	_, err := PlanComponent(ComponentVAE, bad, nil)
	require.Equal(t, map[string]ProblemKind{
		"decoder.middle.1.to_qkv.weight":       ProblemMissing,
		"encoder.downsamples.5.time_conv.bias": ProblemMissing,
		"decoder.head.0.gamma":                 ProblemShape,
		"decoder.upsamples.3.extra.weight":     ProblemUnknown,
	}, ProblemKinds(err), "%v", err)
	require.ErrorContains(t, err, "decoder.middle.1.to_qkv.weight: required with shape (1152, 384, 1, 1)")

	// A level with a different residual count and a missing item.
	var uneven []tensor.Info
	for _, s := range src {
		if s.Name[:min(len(s.Name), 23)] != "encoder.downsamples.4.r" {
			uneven = append(uneven, s)
		}
	}
	_, err = InferVAE21(uneven)
	require.ErrorContains(t, err, "cannot read the levels of encoder.downsamples: item encoder.downsamples.4 is missing")

	a := &VAE21Arch{Dim: 0, ZDim: 16, DimMult: []int{1, 2, 4, 4, 4}, NumResBlocks: 0, TemperalDownsample: []bool{true},
		AttnScales: []float64{-1}}
	pe := planErr(t, a.Validate())
	require.Len(t, pe.Problems, 5, "%v", pe.Problems)
	require.ErrorContains(t, pe, "dim 0 must be positive")
	require.ErrorContains(t, pe, "upstream's Wan2.1 decoder supports at most 4")
	require.ErrorContains(t, pe, "num_res_blocks 0 must be at least 1")
	require.ErrorContains(t, pe, "temperal_downsample has 1 flags, want 4")
	require.ErrorContains(t, pe, "attn_scales [-1] must hold positive numbers")
}

// TestDetectVAE21 tells the VAE versions apart in every naming.
func TestDetectVAE21(t *testing.T) {
	src, _, _ := loadA14BVAE(t)
	c, naming, err := Detect(infoNames(src))
	require.NoError(t, err)
	require.Equal(t, ComponentVAE, c)
	require.Equal(t, NamingPyTorch, naming)

	a, err := InferVAE21(src)
	require.NoError(t, err)
	conv := RequiredLayout(LayoutWanconv, a)
	c, l, err := DetectLayout(infoNames(conv))
	require.NoError(t, err)
	require.Equal(t, ComponentVAE, c)
	require.Equal(t, LayoutWanconv, l)
	c, naming, err = Detect(infoNames(conv))
	require.NoError(t, err)
	require.Equal(t, ComponentVAE, c)
	require.Equal(t, NamingMLX, naming)

	// The Wan2.2 VAE still reads as Wan2.2.
	src22, _ := loadInventory(t, ComponentVAE)
	a22, err := InferAnyVAE(src22)
	require.NoError(t, err)
	require.IsType(t, &VAEArch{}, a22)
}
