// Package detrand is the small, fully specified pseudo-random generator
// behind wanconv's synthetic test inputs (model/dit SyntheticInputs,
// model/t5 SyntheticTokens, model/vae SyntheticVideo). Its recipe is fixed
// so that other tools can regenerate those inputs bit for bit:
//
//   - SplitMix64: the state is a uint64 starting at the seed. Each draw adds
//     Gamma = 0x9E3779B97F4A7C15 to the state (mod 2⁶⁴) and returns Mix of
//     the new state, where Mix(z) is z = (z ⊕ z>>30)·0xBF58476D1CE4E5B9,
//     z = (z ⊕ z>>27)·0x94D049BB133111EB, result z ⊕ z>>31 (all mod 2⁶⁴).
//   - Uniform: one draw d gives (d >> 11)·2⁻⁵³, exactly representable, in
//     [0, 1).
//   - Normal (Box–Muller): two uniforms u1 = 1 − Uniform (in (0, 1], so the
//     logarithm is finite), then u2 = Uniform; r = √(−2 ln u1); the first
//     call returns r·cos(2π·u2) and keeps r·sin(2π·u2) for the next call,
//     which returns it without drawing. Uint64 and Uniform draw afresh and
//     leave a kept value in place.
package detrand

import "math"

// Gamma is the SplitMix64 increment (the odd integer nearest 2⁶⁴/φ).
const Gamma = 0x9E3779B97F4A7C15

// Mix is SplitMix64's output function, applied to an advanced state.
func Mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

// SplitMix64 is a generator following the package recipe. The zero value
// is the stream of seed 0.
type SplitMix64 struct {
	state   uint64
	spare   float64 // the second value of a Box–Muller pair
	hasPair bool
}

// New returns the stream of seed.
func New(seed uint64) *SplitMix64 { return &SplitMix64{state: seed} }

// Uint64 returns the next 64-bit draw.
func (g *SplitMix64) Uint64() uint64 {
	g.state += Gamma
	return Mix(g.state)
}

// Uniform returns (Uint64() >> 11)·2⁻⁵³, in [0, 1).
func (g *SplitMix64) Uniform() float64 { return float64(g.Uint64()>>11) * 0x1p-53 }

// Normal returns a standard normal value from Box–Muller pairs, as the
// package documentation describes.
func (g *SplitMix64) Normal() float64 {
	if g.hasPair {
		g.hasPair = false
		return g.spare
	}
	u1 := 1 - g.Uniform()
	u2 := g.Uniform()
	r := math.Sqrt(-2 * math.Log(u1))
	g.spare, g.hasPair = r*math.Sin(2*math.Pi*u2), true
	return r * math.Cos(2*math.Pi*u2)
}

// Normals returns n values of Normal, each rounded to float32.
func (g *SplitMix64) Normals(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(g.Normal())
	}
	return out
}
