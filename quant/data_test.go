package quant

import (
	"encoding/binary"
	"math"

	"github.com/wanconv/wanconv/internal/detrand"
	"github.com/wanconv/wanconv/tensor"
)

// block fills 32 values with one adversarial pattern.
type block func(g *detrand.SplitMix64, v []float32)

func constant(c float32) block {
	return func(_ *detrand.SplitMix64, v []float32) {
		for i := range v {
			v[i] = c
		}
	}
}

func normal(sigma float64) block {
	return func(g *detrand.SplitMix64, v []float32) {
		for i := range v {
			v[i] = float32(sigma * g.Normal())
		}
	}
}

func uniform(lo, hi float64) block {
	return func(g *detrand.SplitMix64, v []float32) {
		for i := range v {
			v[i] = float32(lo + (hi-lo)*g.Uniform())
		}
	}
}

func outlier(at int, o float32) block {
	return func(g *detrand.SplitMix64, v []float32) {
		normal(0.02)(g, v)
		v[at] = o
	}
}

func series(f func(i int) float32) block {
	return func(_ *detrand.SplitMix64, v []float32) {
		for i := range v {
			v[i] = f(i)
		}
	}
}

// patterns are the adversarial blocks: constant and all-zero groups, the
// q0 = 0 case, single outliers, one-sided groups, exact rounding ties of the
// codes and of the bfloat16 rounding, subnormals, huge magnitudes whose
// range overflows, signed zeros.
var patterns = []block{
	constant(0),
	constant(0.75),
	constant(-3.25),
	constant(1e-8), // |edge|/1e-7 rounds to 0: bias 0
	constant(6e-8), // rounds to 1
	outlier(7, 50),
	outlier(19, -50),
	uniform(-1, 0.3),
	uniform(-0.3, 1),
	func(g *detrand.SplitMix64, v []float32) { // |min| = |max|; edge/scale = 7.5, 127.5
		uniform(-0.99, 0.99)(g, v)
		v[3], v[28] = -1, 1
	},
	series(func(i int) float32 { // 4-bit codes at exact ties: 0, 0.5, ..., 15
		if i == 31 {
			return 15
		}
		return float32(i) / 2
	}),
	series(func(i int) float32 { // 8-bit codes at exact ties
		switch i {
		case 0:
			return 0
		case 1:
			return 255
		}
		return float32(8*i) + 0.5
	}),
	series(func(i int) float32 { return -float32(i) / 2 }),
	series(func(i int) float32 { return float32(i-16) * 1e-40 }),                // subnormal
	series(func(i int) float32 { return float32(i-16) * 0x1p-126 / 8 }),         // subnormal, normal
	series(func(i int) float32 { return float32(i-16) / 16 * math.MaxFloat32 }), // range overflows
	normal(1e30),
	series(func(i int) float32 { // signed zeros and one 1
		switch {
		case i == 9:
			return 1
		case i%2 == 0:
			return float32(math.Copysign(0, -1))
		}
		return 0
	}),
	func(g *detrand.SplitMix64, v []float32) { // narrow, far from 0: |q0| huge
		for i := range v {
			v[i] = float32(1000 + 1e-4*g.Normal())
		}
	},
	uniform(-1000.0001, -1000),
	series(func(i int) float32 { return float32(i-11) / 16 }),
	normal(1),
	series(func(i int) float32 { return 1 + (float32(i)+0.5)/256 }), // bfloat16 ties
	normal(0.02),
	uniform(0, 1),
	uniform(-1, 0),
}

// adversarial returns rows × 256 values: rows whose 32-value blocks cycle
// through the patterns (mixed groups), then one row per pattern (pure
// groups of any size).
func adversarial() (v []float32, rows, cols int) {
	cols = 256
	rows = 2 * len(patterns)
	v = make([]float32, rows*cols)
	g := detrand.New(14)
	for r := range rows {
		for b := range cols / 32 {
			p := r
			if r < len(patterns) {
				p = (r*cols/32 + b) % len(patterns)
			} else {
				p -= len(patterns)
			}
			patterns[p](g, v[r*cols+32*b:r*cols+32*b+32])
		}
	}
	return v, rows, cols
}

// encode stores float32 values as dtype d (rounding to nearest even).
func encode(v []float32, d tensor.DType) []byte {
	b := make([]byte, len(v)*d.Size())
	for i, x := range v {
		switch d {
		case tensor.F32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		case tensor.BF16:
			binary.LittleEndian.PutUint16(b[2*i:], bf16Bits(math.Float32bits(x)))
		case tensor.F16:
			binary.LittleEndian.PutUint16(b[2*i:], f16Bits(x))
		}
	}
	return b
}

// allParams is every supported (bits, group size).
func allParams() []Params {
	var ps []Params
	for _, bits := range []int{4, 8} {
		for _, g := range []int{32, 64, 128} {
			ps = append(ps, Params{Bits: bits, GroupSize: g})
		}
	}
	return ps
}
