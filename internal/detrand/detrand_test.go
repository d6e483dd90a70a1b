package detrand

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUint64PublishedValues(t *testing.T) {
	// Published SplitMix64 outputs for seeds 0 and 1234567.
	g := New(0)
	require.Equal(t, uint64(0xE220A8397B1DCDAF), g.Uint64())
	require.Equal(t, uint64(0x6E789E6AA1B965F4), g.Uint64())
	require.Equal(t, uint64(0x06C45D188009454F), g.Uint64())

	g = New(1234567)
	for _, want := range []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423,
		4593380528125082431, 16408922859458223821} {
		require.Equal(t, want, g.Uint64())
	}
}

func TestZeroValueIsSeedZero(t *testing.T) {
	var g SplitMix64
	require.Equal(t, uint64(0xE220A8397B1DCDAF), g.Uint64())
}

func TestMixIsTheOutputFunction(t *testing.T) {
	state := uint64(Gamma)
	require.Equal(t, uint64(0xE220A8397B1DCDAF), Mix(state))
	state += Gamma // wraps mod 2⁶⁴
	require.Equal(t, uint64(0x6E789E6AA1B965F4), Mix(state))
	require.Equal(t, uint64(0), Mix(0))
}

func TestUniformRecipe(t *testing.T) {
	g, ref := New(9), New(9)
	for range 100 {
		d := ref.Uint64()
		u := g.Uniform()
		require.Equal(t, float64(d>>11)/(1<<53), u)
		require.True(t, u >= 0 && u < 1, "uniform %v", u)
	}
	// The first draw of seed 0, by hand: 0xE220A8397B1DCDAF >> 11 = 0x1C4415072F63B9.
	require.Equal(t, float64(0x1C4415072F63B9)*0x1p-53, New(0).Uniform())
}

func TestNormalRecipe(t *testing.T) {
	g, ref := New(7), New(7)
	u1 := 1 - float64(ref.Uint64()>>11)*0x1p-53
	u2 := float64(ref.Uint64()>>11) * 0x1p-53
	r := math.Sqrt(-2 * math.Log(u1))
	require.Equal(t, r*math.Cos(2*math.Pi*u2), g.Normal())
	require.Equal(t, r*math.Sin(2*math.Pi*u2), g.Normal())
	// The pair used two draws; the next normal starts a new pair.
	require.Equal(t, ref.Uint64(), New(7).skip(2).Uint64())
}

func TestKeptNormalSurvivesRawDraws(t *testing.T) {
	g, ref := New(3), New(3)
	first := ref.Normal()
	second := ref.Normal()
	third := New(3).skip(2).Uniform()
	require.Equal(t, first, g.Normal())
	require.Equal(t, third, g.Uniform()) // draws afresh, the kept value stays
	require.Equal(t, second, g.Normal())
}

func TestNormalsRoundsEachToFloat32(t *testing.T) {
	ref := New(11)
	got := New(11).Normals(5)
	require.Len(t, got, 5)
	for i, v := range got {
		require.Equal(t, float32(ref.Normal()), v, "value %d", i)
	}
}

func TestNormalsLookNormal(t *testing.T) {
	g := New(1)
	const n = 200000
	var sum, sq float64
	for range n {
		v := g.Normal()
		sum += v
		sq += v * v
	}
	mean := sum / n
	require.InDelta(t, 0, mean, 0.01)
	require.InDelta(t, 1, sq/n-mean*mean, 0.01)
}

// skip discards n raw draws.
func (g *SplitMix64) skip(n int) *SplitMix64 {
	for range n {
		g.Uint64()
	}
	return g
}
