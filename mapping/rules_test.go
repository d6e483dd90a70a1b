package mapping

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPatternWholeSegments(t *testing.T) {
	p := compilePattern("blocks.#.residual.0|3.gamma")
	for name, want := range map[string]bool{
		"blocks.0.residual.0.gamma":    true,
		"blocks.12.residual.3.gamma":   true,
		"blocks.01.residual.0.gamma":   false, // not a canonical index
		"blocks.x.residual.0.gamma":    false,
		"blocks.0.myresidual.0.gamma":  false,
		"blocks.0.residual.03.gamma":   false,
		"blocks.0.residual.30.gamma":   false,
		"blocks.0.residual.0.gamma.x":  false,
		"blocks.0.residual.0":          false,
		"blocks.0.residual.0.gammas":   false,
		"xblocks.0.residual.0.gamma":   false,
		"blocks.-1.residual.0.gamma":   false,
		"blocks..residual.0.gamma":     false,
		"blocks.0.residual.1|3.gamma":  false,
		"blocks.0.residual.0|3.gamma":  false,
		"blocks.99.residual.3.gamma":   true,
		"blocks.0.residual.0.gamma.0":  false,
		"blocks.1.residual.0.gamma.xx": false,
	} {
		require.Equal(t, want, p.match(strings.Split(name, ".")), name)
	}
	require.True(t, compilePattern("a.*.c").match(strings.Split("a.b.c", ".")))
	require.False(t, compilePattern("a.*.c").match(strings.Split("a..c", ".")))
}

func TestRenameWholeSegments(t *testing.T) {
	cases := []struct {
		c          Component
		torch, mlx string
	}{
		{ComponentDiT, "text_embedding.0.weight", "text_embedding.layers.0.weight"},
		{ComponentDiT, "time_projection.1.bias", "time_projection.layers.1.bias"},
		{ComponentDiT, "blocks.12.ffn.2.weight", "blocks.12.ffn.layers.2.weight"},
		{ComponentDiT, "head.head.weight", "head.head.weight"},
		{ComponentDiT, "blocks.3.modulation", "blocks.3.modulation"},
		{ComponentDiT, "blocks.3.ffnx.0.weight", "blocks.3.ffnx.0.weight"},
		{ComponentDiT, "blocks.3.ffn.weight", "blocks.3.ffn.weight"},
		{ComponentT5, "blocks.0.ffn.gate.0.weight", "blocks.0.ffn.gate.layers.0.weight"},
		{ComponentT5, "blocks.0.ffn.fc1.weight", "blocks.0.ffn.fc1.weight"},
		{ComponentVAE, "encoder.downsamples.0.downsamples.2.resample.1.weight",
			"encoder.downsamples.layers.0.downsamples.layers.2.resample.layers.1.weight"},
		{ComponentVAE, "decoder.middle.1.norm.gamma", "decoder.middle.layers.1.norm.gamma"},
		{ComponentVAE, "decoder.head.2.weight", "decoder.head.layers.2.weight"},
		{ComponentVAE, "decoder.upsamples.1.upsamples.0.residual.6.bias",
			"decoder.upsamples.layers.1.upsamples.layers.0.residual.layers.6.bias"},
		{ComponentVAE, "encoder.downsamples.1.downsamples.0.shortcut.weight",
			"encoder.downsamples.layers.1.downsamples.layers.0.shortcut.weight"},
		{ComponentVAE, "conv1.weight", "conv1.weight"},
	}
	for _, c := range cases {
		require.Equal(t, c.mlx, TargetName(c.c, c.torch), c.torch)
		require.Equal(t, c.torch, SourceName(c.c, c.mlx), c.mlx)
	}
	require.Equal(t, "x.0", TargetName("unet", "x.0"))
}

func TestTransformShapes(t *testing.T) {
	out, err := ConvToChannelsLast.OutShape([]int64{3072, 48, 1, 2, 2})
	require.NoError(t, err)
	require.Equal(t, []int64{3072, 1, 2, 2, 48}, out)
	in, err := ConvToChannelsLast.InShape(out, 5)
	require.NoError(t, err)
	require.Equal(t, []int64{3072, 48, 1, 2, 2}, in)

	out, err = ConvToChannelsLast.OutShape([]int64{640, 320, 3, 3})
	require.NoError(t, err)
	require.Equal(t, []int64{640, 3, 3, 320}, out)

	out, err = SqueezeGamma.OutShape([]int64{160, 1, 1, 1})
	require.NoError(t, err)
	require.Equal(t, []int64{160}, out)
	in, err = SqueezeGamma.InShape(out, 3)
	require.NoError(t, err)
	require.Equal(t, []int64{160, 1, 1}, in)

	_, err = SqueezeGamma.OutShape([]int64{160, 2, 1})
	require.EqualError(t, err, "squeeze-gamma needs shape (C, 1, ...), got (160, 2, 1)")
	_, err = ConvToChannelsLast.OutShape([]int64{3, 4})
	require.EqualError(t, err, "conv-channels-last needs a convolution weight of rank >= 3, got (3, 4)")
	_, err = SqueezeGamma.InShape([]int64{3, 4}, 4)
	require.Error(t, err)
	_, err = Transform(9).OutShape(nil)
	require.Error(t, err)
	require.Equal(t, "Transform(9)", Transform(9).String())

	out, err = Identity.OutShape([]int64{1, 6, 3072})
	require.NoError(t, err)
	require.Equal(t, []int64{1, 6, 3072}, out)
}

// TestRulesDisjoint: no name required by a reference architecture matches
// two rules, and every rule is used by one.
func TestRulesDisjoint(t *testing.T) {
	for _, l := range Layouts {
		for _, c := range Components {
			for _, rs := range compiledFamilies[l][c] {
				used := make([]bool, len(rs.rules))
				for _, a := range familyArchs(rs) {
					for _, r := range a.RequiredTorch() {
						m := rs.matches(r.Name)
						require.Len(t, m, 1, "%s %s %s", l, c, r.Name)
						used[m[0]] = true
					}
				}
				for i, u := range used {
					require.True(t, u, "%s %s %s rule %s is never used", l, c, rs.family, rs.rules[i].Pattern)
				}
			}
		}
	}
}

func TestDetect(t *testing.T) {
	for _, c := range Components {
		src, _ := loadInventory(t, c)
		names := make([]string, len(src))
		for i, s := range src {
			names[i] = s.Name
		}
		got, naming, err := Detect(names)
		require.NoError(t, err)
		require.Equal(t, c, got)
		require.Equal(t, NamingPyTorch, naming)
	}
	_, _, err := Detect([]string{"model.embed_tokens.weight", "lm_head.weight"})
	require.EqualError(t, err, "no tensor name belongs to a Wan2.2 DiT, T5 or VAE (2 tensors)")
}
