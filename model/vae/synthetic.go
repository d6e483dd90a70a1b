package vae

import "math"

// SyntheticVideo returns a deterministic test video with values in [−1, 1],
// laid out as [3, frames, h, w] (channel, frame, row, column; row-major), the
// layout Encode expects. The same (frames, h, w, seed) always gives the same
// values (on another CPU architecture they may differ in the last bit, where
// the compiler fuses multiply-adds).
//
// Each channel is a sum of two drifting sinusoidal gratings (so consecutive
// frames are related by motion, as in real video) plus a little uniform
// noise from a splitmix64 stream; seed changes the grating frequencies,
// phases and drift speeds, and the noise.
func SyntheticVideo(frames, h, w int, seed uint64) []float32 {
	if frames <= 0 || h <= 0 || w <= 0 {
		return nil
	}
	rng := splitmix64{state: seed}
	type grating struct{ fx, fy, vx, vy, phase, amp float64 }
	var g [videoChannels][2]grating
	for c := range g {
		for k := range g[c] {
			g[c][k] = grating{
				fx:    (0.5 + 2.5*rng.unit()) * 2 * math.Pi / float64(w),
				fy:    (0.5 + 2.5*rng.unit()) * 2 * math.Pi / float64(h),
				vx:    4 * (rng.unit() - 0.5),
				vy:    4 * (rng.unit() - 0.5),
				phase: 2 * math.Pi * rng.unit(),
				amp:   0.25 + 0.15*rng.unit(),
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
					v += 0.1 * (rng.unit() - 0.5)
					out[i] = float32(math.Max(-1, math.Min(1, v)))
					i++
				}
			}
		}
	}
	return out
}

// splitmix64 is a tiny, fully specified pseudo-random generator, so that
// SyntheticVideo does not depend on a library's algorithm choices.
type splitmix64 struct{ state uint64 }

func (s *splitmix64) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unit returns a uniform float64 in [0, 1).
func (s *splitmix64) unit() float64 { return float64(s.next()>>11) / (1 << 53) }
