package dit

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSinusoidalEmbedding(t *testing.T) {
	// dim 4: half 2, angles t·10000^0 and t·10000^(−1/2) = t/100.
	got := SinusoidalEmbedding(4, 2)
	require.Equal(t, []float64{math.Cos(2), math.Cos(0.02), math.Sin(2), math.Sin(0.02)}, got)
	require.InDelta(t, -0.4161468365471424, got[0], 1e-15)
	require.InDelta(t, 0.9092974268256817, got[2], 1e-15)

	// t = 0: all cosines 1, all sines 0.
	zero := SinusoidalEmbedding(6, 0)
	require.Equal(t, []float64{1, 1, 1, 0, 0, 0}, zero)

	// dim 8, t = 700: half 4, angle_j = 700·10000^(−j/4) = 700, 70, 7, 0.7
	e := SinusoidalEmbedding(8, 700)
	require.Len(t, e, 8)
	require.InDelta(t, math.Cos(700), e[0], 1e-15)
	require.InDelta(t, math.Cos(70), e[1], 1e-13)
	require.InDelta(t, math.Cos(7), e[2], 1e-13)
	require.InDelta(t, math.Sin(70), e[5], 1e-13)
	require.InDelta(t, math.Sin(0.7), e[7], 1e-13)
}

func TestTimestepTableDeduplicates(t *testing.T) {
	values, table, index := timestepTable(4, []float32{0, 0, 700, 700, 0})
	require.Equal(t, []float64{0, 700}, values)
	require.Equal(t, []int32{0, 0, 1, 1, 0}, index)
	require.Len(t, table, 2*4)
	require.Equal(t, []float32{1, 1, 0, 0}, table[:4])
	require.Equal(t, float32(math.Cos(700)), table[4])
	require.Equal(t, float32(math.Sin(7)), table[7]) // 700·10000^(−1/2)
}
