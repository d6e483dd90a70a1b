package mapping

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuantizableDiTOnTI2V5B(t *testing.T) {
	src, _ := loadInventory(t, ComponentDiT)
	plan, err := PlanComponent(ComponentDiT, src, []byte(ti2v5BConfig))
	require.NoError(t, err)

	selected := map[string]bool{}
	var params int64
	for _, e := range plan.Entries {
		if !QuantizableDiT(e.Target) {
			continue
		}
		selected[e.Target] = true
		require.Len(t, e.OutShape, 2, e.Target)
		require.Zero(t, e.OutShape[1]%128, "%s: input size %d", e.Target, e.OutShape[1])
		params += e.OutShape[0] * e.OutShape[1]
	}
	require.Len(t, selected, 300)

	// Exactly the ten Linears of each of the 30 blocks.
	want := map[string]bool{}
	for b := range 30 {
		for _, a := range []string{"self_attn", "cross_attn"} {
			for _, p := range []string{"q", "k", "v", "o"} {
				want[fmt.Sprintf("blocks.%d.%s.%s.weight", b, a, p)] = true
			}
		}
		want[fmt.Sprintf("blocks.%d.ffn.layers.0.weight", b)] = true
		want[fmt.Sprintf("blocks.%d.ffn.layers.2.weight", b)] = true
	}
	require.Equal(t, want, selected)
	// 30 × (8·3072² + 2·3072·14336) weights: most of the 5B parameters.
	require.Equal(t, int64(30*(8*3072*3072+2*3072*14336)), params)
	require.Equal(t, int64(4_907_335_680), params)
}

func TestQuantizableDiTRejects(t *testing.T) {
	for _, name := range []string{
		"blocks.0.self_attn.q.bias",
		"blocks.0.self_attn.norm_q.weight",
		"blocks.0.cross_attn.norm_k.weight",
		"blocks.0.norm3.weight",
		"blocks.0.modulation",
		"blocks.0.ffn.layers.0.bias",
		"blocks.0.ffn.layers.1.weight",
		"blocks.0.ffn.0.weight", // PyTorch spelling, not a converted name
		"blocks.x.self_attn.q.weight",
		"blocks.01.self_attn.q.weight",
		"blocks.0.self_attn.q.weight.extra",
		"blocks.0.self_attn.qq.weight",
		"blocks.0.attn.q.weight",
		"head.head.weight",
		"text_embedding.layers.0.weight",
		"time_embedding.layers.2.weight",
		"time_projection.layers.1.weight",
		"patch_embedding.weight",
		"blocks.0.weight",
		"",
	} {
		require.False(t, QuantizableDiT(name), name)
	}
	for _, name := range []string{"blocks.0.self_attn.q.weight", "blocks.29.cross_attn.o.weight",
		"blocks.12.ffn.layers.2.weight"} {
		require.True(t, QuantizableDiT(name), name)
	}
}

// The same ten Linears per block in mlx-video's names, and nothing that is
// only a wanconv name.
func TestQuantizableDiTLayoutMLXVideo(t *testing.T) {
	src, _ := loadInventory(t, ComponentDiT)
	plan, err := PlanLayout(LayoutMLXVideo, ComponentDiT, src, []byte(ti2v5BConfig))
	require.NoError(t, err)
	n := 0
	for _, e := range plan.Entries {
		if QuantizableDiTLayout(LayoutMLXVideo, e.Target) {
			n++
			require.Equal(t, QuantizableDiT(TargetName(ComponentDiT, e.Source.Name)), true, e.Target)
		}
	}
	require.Equal(t, 300, n)
	require.True(t, QuantizableDiTLayout(LayoutMLXVideo, "blocks.3.ffn.fc1.weight"))
	require.True(t, QuantizableDiTLayout(LayoutMLXVideo, "blocks.3.ffn.fc2.weight"))
	require.True(t, QuantizableDiTLayout(LayoutMLXVideo, "blocks.3.cross_attn.v.weight"))
	require.False(t, QuantizableDiTLayout(LayoutMLXVideo, "blocks.3.ffn.layers.0.weight"))
	require.False(t, QuantizableDiTLayout(LayoutMLXVideo, "blocks.3.ffn.fc1.bias"))
	require.False(t, QuantizableDiTLayout(LayoutMLXVideo, "text_embedding_0.weight"))
	require.True(t, QuantizableDiTLayout(LayoutWanconv, "blocks.3.ffn.layers.0.weight"))
}
