package vae

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
)

// upstreamVAE21 is _video_vae's configuration (wan/modules/vae2_1.py).
func upstreamVAE21() *mapping.VAE21Arch {
	return &mapping.VAE21Arch{Dim: 96, ZDim: 16, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2, AttnScales: []float64{},
		TemperalDownsample: []bool{false, true, true}}
}

func TestResolveArch21(t *testing.T) {
	a, err := resolveAny(upstreamVAE21())
	require.NoError(t, err)
	require.Equal(t, upstreamVAE21(), a)
	require.Equal(t, 8, spatialFactor(a))
	require.Equal(t, 4, temporalFactor(a))
	require.Equal(t, 31, latentFrames(a, 121))
	require.Equal(t, 121, videoFrames(a, 31))

	_, err = resolveAny(nil)
	require.EqualError(t, err, "vae: no architecture")
	_, err = resolveAny((*mapping.VAE21Arch)(nil))
	require.EqualError(t, err, "vae: no architecture")
	_, err = resolveAny(&mapping.T5Arch{})
	require.EqualError(t, err, "vae: a *mapping.T5Arch is not a VAE architecture")

	b := upstreamVAE21()
	b.ZDim = 48
	_, err = resolveAny(b)
	require.EqualError(t, err, "vae: z_dim 48 does not match the 16 latent normalisation constants of Wan2.1")
	b = upstreamVAE21()
	b.AttnScales = []float64{0.5}
	_, err = resolveAny(b)
	require.ErrorContains(t, err, "vae: attn_scales [0.5]: upstream's Wan2.1 VAE cannot run attention inside its levels")
	b = upstreamVAE21()
	b.TemperalDownsample = nil
	_, err = resolveAny(b)
	require.ErrorContains(t, err, "temperal_downsample has 0 flags, want 3")
}

// The 16 Wan2.1 constants are the ones golden.json of both A14B releases
// records; the 48 Wan2.2 ones stay what they were.
func TestLatentStats21MatchGolden(t *testing.T) {
	for _, k := range []golden.A14B{golden.T2VA14B, golden.I2VA14B} {
		raw, err := os.ReadFile(golden.TinyA14BFacts(k))
		require.NoError(t, err)
		var g struct {
			VAE struct {
				Mean []float64 `json:"latent_mean"`
				Std  []float64 `json:"latent_std"`
			} `json:"vae"`
		}
		require.NoError(t, json.Unmarshal(raw, &g))
		mean, inv := LatentStats(upstreamVAE21())
		require.Len(t, g.VAE.Mean, 16)
		require.Len(t, mean, 16)
		for i := range 16 {
			require.Equal(t, float32(g.VAE.Mean[i]), mean[i], "mean[%d]", i)
			require.Equal(t, 1/float32(g.VAE.Std[i]), inv[i], "inv_std[%d]", i)
		}
	}
	mean, inv := LatentStats(smallArch())
	require.Equal(t, LatentMean(), mean)
	require.Equal(t, LatentInvStd(), inv)
	mean, inv = LatentStats(&mapping.DiTArch{})
	require.Nil(t, mean)
	require.Nil(t, inv)
}
