package dit

import (
	"fmt"
	"math"
)

// ropeTheta is the base of the rotary frequencies.
const ropeTheta = 10000.0

// ropeMaxPositions is the length of upstream's precomputed frequency table;
// a grid axis longer than this has no frequencies there.
const ropeMaxPositions = 1024

// RopeSplit returns how many channels of a head of headDim channels rotate
// with the frame, height and width index: d−4⌊d/6⌋, 2⌊d/6⌋, 2⌊d/6⌋.
func RopeSplit(headDim int) [3]int {
	s := headDim / 6
	return [3]int{headDim - 4*s, 2 * s, 2 * s}
}

// RopeFrequencies returns the n/2 angular frequencies of an axis that owns n
// channels: 1/θ^(2j/n) for j = 0 … n/2−1, θ = 10000, in float64 as upstream.
func RopeFrequencies(n int) []float64 {
	out := make([]float64, n/2)
	for j := range out {
		out[j] = 1 / math.Pow(ropeTheta, float64(2*j)/float64(n))
	}
	return out
}

// RopeTable returns the rotation of every token for a (frames, height, width)
// token grid, as cos and sin tables of shape [seqLen, headDim/2] (row-major).
// Token i = (f·H + h)·W + w; its pair j rotates by position·frequency of the
// axis that owns pair j (frame pairs first, then height, then width).
// Rows from f·h·w to seqLen (padding) are the identity rotation (cos 1, sin 0):
// upstream leaves padded tokens unrotated.
func RopeTable(headDim int, grid [3]int, seqLen int) (cos, sin []float32, err error) {
	if headDim <= 0 || headDim%2 != 0 {
		return nil, nil, fmt.Errorf("rope: head dim %d must be positive and even", headDim)
	}
	n := grid[0] * grid[1] * grid[2]
	for i, g := range grid {
		if g <= 0 || g > ropeMaxPositions {
			return nil, nil, fmt.Errorf("rope: grid %v: axis %d must be in 1..%d", grid, i, ropeMaxPositions)
		}
	}
	if seqLen < n {
		return nil, nil, fmt.Errorf("rope: seq_len %d is shorter than the %d tokens of grid %v", seqLen, n, grid)
	}
	split := RopeSplit(headDim)
	freqs := [3][]float64{RopeFrequencies(split[0]), RopeFrequencies(split[1]), RopeFrequencies(split[2])}
	half := headDim / 2
	cos = make([]float32, seqLen*half)
	sin = make([]float32, seqLen*half)
	for i := range seqLen {
		row := i * half
		if i >= n {
			for j := range half {
				cos[row+j] = 1
			}
			continue
		}
		pos := [3]int{i / (grid[1] * grid[2]), (i / grid[2]) % grid[1], i % grid[2]}
		j := 0
		for axis := range 3 {
			for _, f := range freqs[axis] {
				angle := float64(pos[axis]) * f
				cos[row+j] = float32(math.Cos(angle))
				sin[row+j] = float32(math.Sin(angle))
				j++
			}
		}
	}
	return cos, sin, nil
}
