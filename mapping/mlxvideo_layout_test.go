package mapping

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/internal/mlxvideoref"
	"github.com/wanconv/wanconv/tensor"
)

// issueName and issueShape are mlx-video's names and shapes by the rules of
// issue 12, derived independently of the rule tables.
func issueName(c Component, name string) string { return mlxvideoref.Name(string(c), name) }

func issueShape(c Component, name string, shape []int64) []int64 {
	return mlxvideoref.Shape(string(c), name, shape)
}

// issueTable maps upstream infos to the expected mlx-video name → shape.
func issueTable(c Component, src []tensor.Info) map[string][]int64 {
	want := make(map[string][]int64, len(src))
	for _, s := range src {
		want[issueName(c, s.Name)] = issueShape(c, s.Name, s.Shape)
	}
	return want
}

func planTable(p *Plan) map[string][]int64 {
	got := make(map[string][]int64, len(p.Entries))
	for _, e := range p.Entries {
		got[e.Target] = e.OutShape
	}
	return got
}

// tinySources reads the tensor headers of the tiny release.
func tinySources(t *testing.T) (map[Component][]tensor.Info, []byte) {
	t.Helper()
	dir := golden.TinyRelease()
	dit, err := safetensors.OpenAuto(filepath.Join(dir, "diffusion_pytorch_model.safetensors.index.json"))
	require.NoError(t, err)
	defer dit.Close()
	t5, err := pth.Open(filepath.Join(dir, "models_t5_umt5-xxl-enc-bf16.pth"))
	require.NoError(t, err)
	defer t5.Close()
	vae, err := pth.Open(filepath.Join(dir, "Wan2.2_VAE.pth"))
	require.NoError(t, err)
	defer vae.Close()
	cfg := readFile(t, filepath.Join(dir, "config.json"))
	return map[Component][]tensor.Info{
		ComponentDiT: dit.Tensors(), ComponentT5: t5.Tensors(), ComponentVAE: vae.Tensors(),
	}, cfg
}

func TestMLXVideoLayoutTinyRelease(t *testing.T) {
	srcs, cfg := tinySources(t)
	for _, c := range Components {
		t.Run(string(c), func(t *testing.T) {
			src := srcs[c]
			plan, err := PlanLayout(LayoutMLXVideo, c, src, cfg)
			require.NoError(t, err)
			require.Equal(t, LayoutMLXVideo, plan.Layout)
			require.Len(t, plan.Entries, len(src))
			require.Equal(t, issueTable(c, src), planTable(plan))
			checkConvertedRoundTrip(t, LayoutMLXVideo, c, src, plan, cfg)
		})
	}
}

func TestMLXVideoLayoutTI2V5B(t *testing.T) {
	for _, c := range Components {
		t.Run(string(c), func(t *testing.T) {
			src, inv := loadInventory(t, c)
			plan, err := PlanLayout(LayoutMLXVideo, c, src, []byte(ti2v5BConfig))
			require.NoError(t, err)
			require.Len(t, plan.Entries, inv.TensorCount)
			require.Equal(t, inv.ParamCount, entryParams(plan))
			require.Equal(t, issueTable(c, src), planTable(plan))
			checkConvertedRoundTrip(t, LayoutMLXVideo, c, src, plan, []byte(ti2v5BConfig))
		})
	}
	// A few names spelled out, as mlx-video's modules have them.
	want := map[Component]map[string][]int64{
		ComponentDiT: {
			"patch_embedding_proj.weight": {3072, 192}, "patch_embedding_proj.bias": {3072},
			"text_embedding_1.weight": {3072, 3072}, "time_embedding_0.weight": {3072, 256},
			"time_projection.bias": {18432}, "blocks.29.ffn.fc2.weight": {3072, 14336},
			"blocks.0.ffn.fc1.bias": {14336}, "blocks.3.cross_attn.norm_k.weight": {3072},
			"head.modulation": {1, 2, 3072}, "blocks.0.modulation": {1, 6, 3072},
		},
		ComponentT5: {"blocks.23.ffn.gate_proj.weight": {10240, 4096}, "blocks.0.ffn.fc1.weight": {10240, 4096},
			"blocks.5.pos_embedding.embedding.weight": {32, 64}, "token_embedding.weight": {256384, 4096}},
		ComponentVAE: {
			"decoder.upsamples.0.upsamples.0.residual.layer_2.weight":    {1024, 3, 3, 3, 1024},
			"encoder.downsamples.0.downsamples.0.residual.layer_0.gamma": {160},
			"decoder.upsamples.0.upsamples.3.resample_weight":            {1024, 3, 3, 1024},
			"decoder.upsamples.0.upsamples.3.time_conv.weight":           {2048, 3, 1, 1, 1024},
			"encoder.middle.1.to_qkv_weight":                             {1920, 1, 1, 640},
			"decoder.middle.1.proj_bias":                                 {1024},
			"decoder.middle.1.norm.gamma":                                {1024},
			"decoder.head.layer_2.weight":                                {12, 3, 3, 3, 256},
			"encoder.head.layer_0.gamma":                                 {640},
			"conv1.weight":                                               {96, 1, 1, 1, 96},
		},
	}
	for c, names := range want {
		src, _ := loadInventory(t, c)
		plan, err := PlanLayout(LayoutMLXVideo, c, src, []byte(ti2v5BConfig))
		require.NoError(t, err)
		got := planTable(plan)
		for n, shape := range names {
			require.Equal(t, shape, got[n], "%s %s", c, n)
		}
	}
}

// checkConvertedRoundTrip reads the planned targets back as a converted
// checkpoint: the same architecture, the upstream names and shapes, the
// layout detected, and RequiredLayout equal to the plan.
func checkConvertedRoundTrip(t *testing.T, l Layout, c Component, src []tensor.Info, plan *Plan, cfg []byte) {
	t.Helper()
	var conv []tensor.Info
	for _, e := range plan.Entries {
		conv = append(conv, tensor.Info{Name: e.Target, DType: tensor.BF16, Shape: e.OutShape})
	}
	arch, err := CheckConvertedLayout(l, c, conv, cfg)
	require.NoError(t, err)
	require.Equal(t, plan.Arch, arch)
	require.NoError(t, CheckRequiredLayout(l, arch, conv))

	req := RequiredLayout(l, arch)
	require.Len(t, req, len(plan.Entries))
	for i, r := range req {
		require.Equal(t, plan.Entries[i].Target, r.Name)
		require.Equal(t, plan.Entries[i].OutShape, r.Shape)
	}

	back, err := ToPyTorchLayout(l, c, conv, cfg)
	require.NoError(t, err)
	tensor.SortInfos(back)
	want := withDType(src, tensor.BF16)
	tensor.SortInfos(want)
	require.Equal(t, want, back)

	names := make([]string, len(conv))
	for i, m := range conv {
		names[i] = m.Name
		require.Equal(t, src2name(plan, m.Name), SourceNameLayout(l, c, m.Name))
	}
	gotC, gotL, err := DetectLayout(names)
	require.NoError(t, err)
	require.Equal(t, c, gotC)
	require.Equal(t, l, gotL)
}

func src2name(p *Plan, target string) string {
	for _, e := range p.Entries {
		if e.Target == target {
			return e.Source.Name
		}
	}
	return ""
}

// TestMLXVideoLayoutRejects feeds mlx-video checkpoints with one defect each:
// the defect is named.
func TestMLXVideoLayoutRejects(t *testing.T) {
	srcs, cfg := tinySources(t)
	converted := func(c Component) []tensor.Info {
		var out []tensor.Info
		for _, s := range srcs[c] {
			out = append(out, tensor.Info{Name: issueName(c, s.Name), DType: tensor.F32, Shape: issueShape(c, s.Name, s.Shape)})
		}
		return out
	}
	// The independent table verifies as is.
	for _, c := range Components {
		_, err := CheckConvertedLayout(LayoutMLXVideo, c, converted(c), cfg)
		require.NoError(t, err, c)
	}
	cases := []struct {
		c      Component
		name   string
		mutate func(*tensor.Info)
		kind   ProblemKind
	}{
		{ComponentDiT, "blocks.1.ffn.fc1.weight", func(i *tensor.Info) { i.Name = "blocks.1.ffn.0.weight" }, ProblemUnknown},
		{ComponentDiT, "patch_embedding_proj.weight", func(i *tensor.Info) { i.Shape = []int64{128, 48, 1, 2, 2} }, ProblemShape},
		{ComponentT5, "blocks.0.ffn.gate_proj.weight", func(i *tensor.Info) { i.Name = "blocks.0.ffn.gate.layers.0.weight" }, ProblemUnknown},
		{ComponentVAE, "decoder.head.layer_0.gamma", func(i *tensor.Info) { i.Name = "decoder.head.0.gamma" }, ProblemUnknown},
		{ComponentVAE, "decoder.middle.0.residual.layer_2.weight", func(i *tensor.Info) {
			i.Shape = mlxvideoref.PyTorchOrder(i.Shape)
		}, ProblemShape},
		{ComponentVAE, "encoder.middle.1.to_qkv_weight", func(i *tensor.Info) {
			i.Shape = mlxvideoref.PyTorchOrder(i.Shape)
		}, ProblemShape},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			infos := converted(tc.c)
			i := slices.IndexFunc(infos, func(x tensor.Info) bool { return x.Name == tc.name })
			require.GreaterOrEqual(t, i, 0, "no %s", tc.name)
			tc.mutate(&infos[i])
			_, err := CheckConvertedLayout(LayoutMLXVideo, tc.c, infos, cfg)
			pe := planErr(t, err)
			require.Equal(t, tc.kind, pe.Kinds()[infos[i].Name], "%v", err)
		})
	}
	// A wanconv-layout VAE is not an mlx-video one, and the other way round.
	_, err := CheckConvertedLayout(LayoutMLXVideo, ComponentVAE, wanconvInfos(t, ComponentVAE, srcs[ComponentVAE]), nil)
	require.Error(t, err)
	_, err = CheckConvertedLayout(LayoutWanconv, ComponentVAE, converted(ComponentVAE), nil)
	require.Error(t, err)
}

func wanconvInfos(t *testing.T, c Component, src []tensor.Info) []tensor.Info {
	plan, err := PlanComponent(c, src, nil)
	require.NoError(t, err)
	var out []tensor.Info
	for _, e := range plan.Entries {
		out = append(out, tensor.Info{Name: e.Target, DType: tensor.F32, Shape: e.OutShape})
	}
	return out
}

func TestRenameRuns(t *testing.T) {
	cases := []struct {
		l          Layout
		c          Component
		torch, out string
	}{
		{LayoutMLXVideo, ComponentDiT, "blocks.3.ffn.0.weight", "blocks.3.ffn.fc1.weight"},
		{LayoutMLXVideo, ComponentDiT, "blocks.3.ffn.01.weight", "blocks.3.ffn.01.weight"},
		{LayoutMLXVideo, ComponentDiT, "blocks.3.xffn.0.weight", "blocks.3.xffn.0.weight"},
		{LayoutMLXVideo, ComponentDiT, "time_projection.1.weight", "time_projection.weight"},
		{LayoutMLXVideo, ComponentDiT, "patch_embedding.weight", "patch_embedding_proj.weight"},
		{LayoutMLXVideo, ComponentT5, "blocks.7.ffn.gate.0.weight", "blocks.7.ffn.gate_proj.weight"},
		{LayoutMLXVideo, ComponentT5, "blocks.7.ffn.fc1.weight", "blocks.7.ffn.fc1.weight"},
		{LayoutMLXVideo, ComponentVAE, "decoder.upsamples.1.upsamples.3.resample.1.bias", "decoder.upsamples.1.upsamples.3.resample_bias"},
		{LayoutMLXVideo, ComponentVAE, "encoder.middle.1.proj.weight", "encoder.middle.1.proj_weight"},
		{LayoutMLXVideo, ComponentVAE, "encoder.middle.0.residual.6.bias", "encoder.middle.0.residual.layer_6.bias"},
		{LayoutMLXVideo, ComponentVAE, "encoder.middle.0.residual.1.bias", "encoder.middle.0.residual.1.bias"},
		{LayoutWanconv, ComponentDiT, "blocks.3.ffn.0.weight", "blocks.3.ffn.layers.0.weight"},
	}
	for _, tc := range cases {
		require.Equal(t, tc.out, TargetNameLayout(tc.l, tc.c, tc.torch), tc.torch)
		require.Equal(t, tc.torch, SourceNameLayout(tc.l, tc.c, tc.out), tc.out)
	}
	require.Equal(t, "x", TargetNameLayout("nope", ComponentDiT, "x"))
	_, err := PlanLayout("nope", ComponentDiT, nil, nil)
	require.ErrorContains(t, err, `unknown layout "nope"`)
	for _, l := range Layouts {
		got, err := ParseLayout(string(l))
		require.NoError(t, err)
		require.Equal(t, l, got)
	}
	_, err = ParseLayout("mlx")
	require.ErrorContains(t, err, "want wanconv or mlx-video")
}

func TestFlattenPatchTransform(t *testing.T) {
	out, err := FlattenPatch.OutShape([]int64{3072, 48, 1, 2, 2})
	require.NoError(t, err)
	require.Equal(t, []int64{3072, 192}, out)
	in, err := FlattenPatch.InShapeKernel(out, 5, []int{1, 2, 2})
	require.NoError(t, err)
	require.Equal(t, []int64{3072, 48, 1, 2, 2}, in)
	in, err = FlattenPatch.InShapeKernel([]int64{8, 24}, 5, []int{2, 2, 2})
	require.NoError(t, err)
	require.Equal(t, []int64{8, 3, 2, 2, 2}, in)
	for _, bad := range [][]int64{{3072, 48, 2, 2}, {3072, 0, 1, 2, 2}} {
		_, err = FlattenPatch.OutShape(bad)
		require.Error(t, err, fmt.Sprint(bad))
	}
	_, err = FlattenPatch.InShapeKernel([]int64{3072, 190}, 5, []int{1, 2, 2})
	require.ErrorContains(t, err, "(O, I·1·2·2)")
	_, err = FlattenPatch.InShape([]int64{3072, 192}, 5)
	require.ErrorContains(t, err, "kernel size")
	require.Equal(t, []int{1, 2, 2}, patchSizeHint(nil))
	require.Equal(t, []int{1, 4, 4}, patchSizeHint([]byte(`{"patch_size": [1, 4, 4]}`)))
	require.Equal(t, []int{1, 2, 2}, patchSizeHint([]byte(`{"patch_size": [1, 0, 4]}`)))
	// Identity and friends ignore the kernel.
	in, err = ConvToChannelsLast.InShapeKernel([]int64{8, 3, 3, 3, 4}, 5, nil)
	require.NoError(t, err)
	require.Equal(t, []int64{8, 4, 3, 3, 3}, in)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

func TestTransformKeepsBytes(t *testing.T) {
	for tr, want := range map[Transform]bool{Identity: true, SqueezeGamma: true, FlattenPatch: true, ConvToChannelsLast: false} {
		require.Equal(t, want, tr.KeepsBytes(), tr.String())
	}
	require.Equal(t, "flatten-patch", FlattenPatch.String())
}
