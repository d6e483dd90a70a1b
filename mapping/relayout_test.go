package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

// relayoutOf converts src to layout l and maps it back to wanconv.
func relayoutOf(t *testing.T, l Layout, c Component, src []tensor.Info, cfg []byte) (*Plan, map[string]Relayout) {
	t.Helper()
	plan, err := PlanLayout(l, c, src, cfg)
	require.NoError(t, err)
	var conv []tensor.Info
	for _, e := range plan.Entries {
		conv = append(conv, tensor.Info{Name: e.Target, DType: tensor.BF16, Shape: e.OutShape})
	}
	rl, err := RelayoutToWanconv(l, c, conv, cfg)
	require.NoError(t, err)
	require.Len(t, rl, len(conv))
	byName := map[string]Relayout{}
	var got []tensor.Info
	for _, r := range rl {
		byName[r.Name] = r
		got = append(got, tensor.Info{Name: r.Target, Shape: r.Shape})
	}
	tensor.SortInfos(got)
	require.Equal(t, RequiredLayout(LayoutWanconv, plan.Arch), got, "%s %s relayouts to the wanconv set", l, c)
	return plan, byName
}

func TestRelayoutToWanconv(t *testing.T) {
	src, _, _ := loadA14BVAE(t)
	_, rl := relayoutOf(t, LayoutMLXVideo, ComponentVAE, src, nil)
	require.Equal(t, Relayout{Name: "encoder.downsamples.0.residual.0.gamma",
		Target: "encoder.downsamples.layers.0.residual.layers.0.gamma", From: Identity, To: SqueezeGamma,
		TorchShape: []int64{96, 1, 1, 1}, Shape: []int64{96}}, rl["encoder.downsamples.0.residual.0.gamma"])
	require.Equal(t, Relayout{Name: "decoder.upsamples.3.resample.1.weight",
		Target: "decoder.upsamples.layers.3.resample.layers.1.weight", From: ConvToChannelsLast, To: ConvToChannelsLast,
		TorchShape: []int64{192, 384, 3, 3}, Shape: []int64{192, 3, 3, 384}}, rl["decoder.upsamples.3.resample.1.weight"])

	// The Wan2.2 VAE and the DiT of TI2V-5B in mlx-video's names.
	src22, _ := loadInventory(t, ComponentVAE)
	_, rl = relayoutOf(t, LayoutMLXVideo, ComponentVAE, src22, nil)
	r := rl["encoder.head.layer_0.gamma"]
	require.Equal(t, "encoder.head.layers.0.gamma", r.Target)
	require.Equal(t, r.From, r.To)
	dit, _ := loadInventory(t, ComponentDiT)
	_, rl = relayoutOf(t, LayoutMLXVideo, ComponentDiT, dit, []byte(ti2v5BConfig))
	require.Equal(t, Relayout{Name: "patch_embedding_proj.weight", Target: "patch_embedding.weight",
		From: FlattenPatch, To: ConvToChannelsLast, TorchShape: []int64{3072, 48, 1, 2, 2}, Shape: []int64{3072, 1, 2, 2, 48}},
		rl["patch_embedding_proj.weight"])

	// wanconv to wanconv changes nothing.
	_, rl = relayoutOf(t, LayoutWanconv, ComponentVAE, src, nil)
	for n, r := range rl {
		require.Equal(t, n, r.Target)
		require.Equal(t, r.From, r.To)
	}

	_, err := RelayoutToWanconv(LayoutMLXVideo, ComponentVAE, []tensor.Info{{Name: "decoder.bogus.weight", Shape: []int64{1}}}, nil)
	require.Equal(t, map[string]ProblemKind{"decoder.bogus.weight": ProblemUnknown}, ProblemKinds(err))
}
