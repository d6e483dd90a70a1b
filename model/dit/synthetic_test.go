package dit

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/internal/detrand"
	"github.com/wanconv/wanconv/mapping"
)

func TestSyntheticInputs(t *testing.T) {
	cfg := &mapping.DiTArch{ModelType: ModelTypeTI2V, PatchSize: []int{1, 2, 2}, InDim: 3, TextDim: 5}
	in, err := SyntheticInputs(cfg, 2, 4, 6, 7, 42)
	require.NoError(t, err)
	require.Equal(t, []int{3, 2, 4, 6}, in.XShape)
	require.Len(t, in.X, 3*2*4*6)
	require.Equal(t, []int{7, 5}, in.ContextShape)
	require.Len(t, in.Context, 35)
	require.Equal(t, 2*2*3, in.SeqLen)
	require.Equal(t, []int{1, 12}, in.TShape)
	require.Equal(t, float32(math.Floor(float64(in.Timestep))), in.Timestep)
	require.True(t, in.Timestep >= 0 && in.Timestep < 1000)
	for i, v := range in.T {
		if i < 6 { // first latent frame: 2×3 tokens
			require.Zero(t, v, "token %d", i)
		} else {
			require.Equal(t, in.Timestep, v, "token %d", i)
		}
	}

	// Recompute from the documented recipe: 144 normals, 35 normals, one uniform.
	g := detrand.New(42)
	for i := range in.X {
		require.Equal(t, float32(g.Normal()), in.X[i])
	}
	for i := range in.Context {
		require.Equal(t, float32(g.Normal()), in.Context[i])
	}
	require.Equal(t, float32(math.Floor(1000*g.Uniform())), in.Timestep)

	again, err := SyntheticInputs(cfg, 2, 4, 6, 7, 42)
	require.NoError(t, err)
	require.Equal(t, in, again)
	other, err := SyntheticInputs(cfg, 2, 4, 6, 7, 43)
	require.NoError(t, err)
	require.NotEqual(t, in.X, other.X)

	cfg.ModelType = ModelTypeT2V
	t2v, err := SyntheticInputs(cfg, 2, 4, 6, 7, 42)
	require.NoError(t, err)
	require.Equal(t, []int{1}, t2v.TShape)
	require.Equal(t, []float32{in.Timestep}, t2v.T)

	require.Nil(t, t2v.Y)

	// i2v: the same draws, the first out_dim channels x, the rest y.
	cfg.ModelType, cfg.OutDim = ModelTypeI2V, 1
	i2v, err := SyntheticInputs(cfg, 2, 4, 6, 7, 42)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 4, 6}, i2v.XShape)
	require.Equal(t, []int{2, 2, 4, 6}, i2v.YShape)
	require.Equal(t, in.X, append(append([]float32(nil), i2v.X...), i2v.Y...))
	require.Equal(t, []float32{in.Timestep}, i2v.T)

	_, err = SyntheticInputs(cfg, 2, 1, 6, 7, 42)
	require.ErrorContains(t, err, "smaller than patch")
	_, err = SyntheticInputs(cfg, 0, 4, 6, 7, 42)
	require.ErrorContains(t, err, "sizes must be positive")
}
