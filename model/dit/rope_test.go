package dit

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRopeSplit(t *testing.T) {
	// d − 4⌊d/6⌋, 2⌊d/6⌋, 2⌊d/6⌋
	require.Equal(t, [3]int{44, 42, 42}, RopeSplit(128)) // TI2V-5B: 3072/24
	require.Equal(t, [3]int{12, 10, 10}, RopeSplit(32))  // tiny: 128/4
	require.Equal(t, [3]int{4, 4, 4}, RopeSplit(12))
	require.Equal(t, [3]int{2, 0, 0}, RopeSplit(2))
}

func TestRopeFrequencies(t *testing.T) {
	require.Equal(t, []float64{1, 0.01}, RopeFrequencies(4)) // 1/10000^(0/4), 1/10000^(2/4)
	f := RopeFrequencies(12)
	require.Len(t, f, 6)
	require.Equal(t, 1.0, f[0])
	require.InDelta(t, 0.21544346900318836, f[1], 1e-16) // 10000^(−1/6)
	require.InDelta(t, 1e-4*math.Pow(10000, 1.0/6), f[5], 1e-18)
}

func TestRopeTable(t *testing.T) {
	// headDim 12: each axis owns 4 channels = 2 pairs with frequencies 1 and 0.01.
	grid := [3]int{2, 2, 3}
	cos, sin, err := RopeTable(12, grid, 14)
	require.NoError(t, err)
	require.Len(t, cos, 14*6)
	require.Len(t, sin, 14*6)
	// token 10 = (f·2 + h)·3 + w with f=1, h=1, w=1
	angles := []float64{1, 0.01, 1, 0.01, 1, 0.01}
	for j, a := range angles {
		require.InDelta(t, math.Cos(a), float64(cos[10*6+j]), 1e-7, "pair %d", j)
		require.InDelta(t, math.Sin(a), float64(sin[10*6+j]), 1e-7, "pair %d", j)
	}
	// token 5 = f 0, h 1, w 2
	angles = []float64{0, 0, 1, 0.01, 2, 0.02}
	for j, a := range angles {
		require.InDelta(t, math.Cos(a), float64(cos[5*6+j]), 1e-7, "pair %d", j)
		require.InDelta(t, math.Sin(a), float64(sin[5*6+j]), 1e-7, "pair %d", j)
	}
	// padded tokens 12, 13 are not rotated
	for i := 12 * 6; i < 14*6; i++ {
		require.Equal(t, float32(1), cos[i])
		require.Equal(t, float32(0), sin[i])
	}
}

func TestRopeTableErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		headDim, seqLen int
		grid            [3]int
		want            string
	}{
		"odd head dim":  {11, 10, [3]int{1, 2, 3}, "must be positive and even"},
		"empty axis":    {12, 10, [3]int{1, 0, 3}, "axis 1 must be in 1..1024"},
		"long axis":     {12, 2000, [3]int{1025, 1, 1}, "axis 0 must be in 1..1024"},
		"short seq len": {12, 5, [3]int{1, 2, 3}, "seq_len 5 is shorter than the 6 tokens"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := RopeTable(tc.headDim, tc.grid, tc.seqLen)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
