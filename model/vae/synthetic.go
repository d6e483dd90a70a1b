package vae

import (
	"math"

	"github.com/wanconv/wanconv/internal/detrand"
)

// SyntheticVideo returns a deterministic test video with values in [−1, 1],
// laid out as [3, frames, h, w] (channel, frame, row, column; row-major), the
// layout Encode expects. The same (frames, h, w, seed) always gives the same
// values (on another CPU architecture they may differ in the last bit, where
// the compiler fuses multiply-adds).
//
// Each channel is a sum of two drifting sinusoidal gratings (so consecutive
// frames are related by motion, as in real video) plus a little uniform
// noise; seed changes the grating frequencies, phases and drift speeds, and
// the noise. The random numbers are the uniforms of internal/detrand's
// SplitMix64 stream seeded with seed, so that the video does not depend on a
// library's algorithm choices.
func SyntheticVideo(frames, h, w int, seed uint64) []float32 {
	if frames <= 0 || h <= 0 || w <= 0 {
		return nil
	}
	rng := detrand.New(seed)
	type grating struct{ fx, fy, vx, vy, phase, amp float64 }
	var g [videoChannels][2]grating
	for c := range g {
		for k := range g[c] {
			g[c][k] = grating{
				fx:    (0.5 + 2.5*rng.Uniform()) * 2 * math.Pi / float64(w),
				fy:    (0.5 + 2.5*rng.Uniform()) * 2 * math.Pi / float64(h),
				vx:    4 * (rng.Uniform() - 0.5),
				vy:    4 * (rng.Uniform() - 0.5),
				phase: 2 * math.Pi * rng.Uniform(),
				amp:   0.25 + 0.15*rng.Uniform(),
			}
		}
	}
	out := make([]float32, videoChannels*frames*h*w)
	i := 0
	for c := 0; c < videoChannels; c++ {
		for f := 0; f < frames; f++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					v := 0.0
					for _, gr := range g[c] {
						px := float64(x) + gr.vx*float64(f)
						py := float64(y) + gr.vy*float64(f)
						v += gr.amp * math.Sin(gr.fx*px+gr.fy*py+gr.phase)
					}
					v += 0.1 * (rng.Uniform() - 0.5)
					out[i] = float32(math.Max(-1, math.Min(1, v)))
					i++
				}
			}
		}
	}
	return out
}
