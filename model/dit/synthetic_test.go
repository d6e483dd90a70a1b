package dit

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplitMix64KnownValues(t *testing.T) {
	// Published SplitMix64 outputs for seed 0.
	g := newNormalSource(0)
	require.Equal(t, uint64(0xE220A8397B1DCDAF), g.next())
	require.Equal(t, uint64(0x6E789E6AA1B965F4), g.next())
	require.Equal(t, uint64(0x06C45D188009454F), g.next())
}

func TestBoxMullerRecipe(t *testing.T) {
	g, ref := newNormalSource(7), newNormalSource(7)
	u1 := 1 - float64(ref.next()>>11)*0x1p-53
	u2 := float64(ref.next()>>11) * 0x1p-53
	r := math.Sqrt(-2 * math.Log(u1))
	require.Equal(t, r*math.Cos(2*math.Pi*u2), g.normal())
	require.Equal(t, r*math.Sin(2*math.Pi*u2), g.normal())
}

func TestSyntheticInputs(t *testing.T) {
	cfg := Config{ModelType: ModelTypeTI2V, PatchSize: [3]int{1, 2, 2}, InDim: 3, TextDim: 5}
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
	g := newNormalSource(42)
	for i := range in.X {
		require.Equal(t, float32(g.normal()), in.X[i])
	}
	for i := range in.Context {
		require.Equal(t, float32(g.normal()), in.Context[i])
	}
	require.Equal(t, float32(math.Floor(1000*g.uniform())), in.Timestep)

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

	_, err = SyntheticInputs(cfg, 2, 1, 6, 7, 42)
	require.ErrorContains(t, err, "smaller than patch")
	_, err = SyntheticInputs(cfg, 0, 4, 6, 7, 42)
	require.ErrorContains(t, err, "sizes must be positive")
}

func TestSyntheticNormalsLookNormal(t *testing.T) {
	g := newNormalSource(1)
	const n = 200000
	var sum, sq float64
	for range n {
		v := g.normal()
		sum += v
		sq += v * v
	}
	mean := sum / n
	require.InDelta(t, 0, mean, 0.01)
	require.InDelta(t, 1, sq/n-mean*mean, 0.01)
}
