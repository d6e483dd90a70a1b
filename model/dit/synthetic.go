package dit

import (
	"fmt"
	"math"
)

// Inputs are host-side forward inputs: X [InDim, Frames, H, W], T ([1, SeqLen]
// per token for ti2v, [1] for t2v) and Context [CtxLen, TextDim], row-major
// float32.
type Inputs struct {
	X, T, Context                []float32
	XShape, TShape, ContextShape []int
	SeqLen                       int
	Timestep                     float32
}

// SyntheticInputs builds deterministic inputs from seed; the recipe is
// spelled out in the package documentation so that other tools can
// regenerate them bit for bit.
func SyntheticInputs(cfg Config, frames, h, w, ctxLen int, seed uint64) (*Inputs, error) {
	if frames <= 0 || h <= 0 || w <= 0 || ctxLen <= 0 {
		return nil, fmt.Errorf("dit: synthetic inputs: sizes must be positive (frames %d, h %d, w %d, context %d)",
			frames, h, w, ctxLen)
	}
	if cfg.InDim <= 0 || cfg.TextDim <= 0 || cfg.PatchVolume() <= 0 {
		return nil, fmt.Errorf("dit: synthetic inputs: config lacks in_dim/text_dim/patch_size")
	}
	p := cfg.PatchSize
	grid := [3]int{frames / p[0], h / p[1], w / p[2]}
	if grid[0]*grid[1]*grid[2] == 0 {
		return nil, fmt.Errorf("dit: synthetic inputs: latent %dx%dx%d is smaller than patch %v", frames, h, w, p)
	}
	seqLen := grid[0] * grid[1] * grid[2]
	g := newNormalSource(seed)
	in := &Inputs{
		X:            g.normals(cfg.InDim * frames * h * w),
		XShape:       []int{cfg.InDim, frames, h, w},
		Context:      g.normals(ctxLen * cfg.TextDim),
		ContextShape: []int{ctxLen, cfg.TextDim},
		SeqLen:       seqLen,
		Timestep:     float32(math.Floor(1000 * g.uniform())),
	}
	if cfg.ModelType == ModelTypeTI2V {
		in.T = make([]float32, seqLen)
		firstFrame := grid[1] * grid[2]
		for i := firstFrame; i < seqLen; i++ {
			in.T[i] = in.Timestep
		}
		in.TShape = []int{1, seqLen}
	} else {
		in.T = []float32{in.Timestep}
		in.TShape = []int{1}
	}
	return in, nil
}

// normalSource is SplitMix64 with Box–Muller normals (see the package doc).
type normalSource struct {
	state   uint64
	spare   float64
	hasPair bool
}

func newNormalSource(seed uint64) *normalSource { return &normalSource{state: seed} }

func (g *normalSource) next() uint64 {
	g.state += 0x9E3779B97F4A7C15
	z := g.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// uniform returns (next() >> 11) · 2⁻⁵³, in [0, 1).
func (g *normalSource) uniform() float64 { return float64(g.next()>>11) * 0x1p-53 }

// normal returns standard normals in pairs: u1 = 1 − uniform(), u2 = uniform(),
// r = √(−2 ln u1), first r·cos(2πu2), then r·sin(2πu2).
func (g *normalSource) normal() float64 {
	if g.hasPair {
		g.hasPair = false
		return g.spare
	}
	u1 := 1 - g.uniform()
	u2 := g.uniform()
	r := math.Sqrt(-2 * math.Log(u1))
	g.spare, g.hasPair = r*math.Sin(2*math.Pi*u2), true
	return r * math.Cos(2*math.Pi*u2)
}

func (g *normalSource) normals(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(g.normal())
	}
	return out
}
