package dit

import (
	"fmt"
	"math"

	"github.com/wanconv/wanconv/internal/detrand"
	"github.com/wanconv/wanconv/mapping"
)

// Inputs are host-side forward inputs: X [InDim, Frames, H, W] (for i2v
// [OutDim, …], with the conditioning Y [InDim − OutDim, Frames, H, W]), T
// ([1, SeqLen] per token for ti2v, [1] for t2v and i2v) and Context
// [CtxLen, TextDim], row-major float32. Y is nil but for i2v.
type Inputs struct {
	X, Y, T, Context                     []float32
	XShape, YShape, TShape, ContextShape []int
	SeqLen                               int
	Timestep                             float32
}

// SyntheticInputs builds deterministic inputs from seed; the recipe is
// spelled out in the package documentation so that other tools can
// regenerate them bit for bit.
func SyntheticInputs(arch *mapping.DiTArch, frames, h, w, ctxLen int, seed uint64) (*Inputs, error) {
	if frames <= 0 || h <= 0 || w <= 0 || ctxLen <= 0 {
		return nil, fmt.Errorf("dit: synthetic inputs: sizes must be positive (frames %d, h %d, w %d, context %d)",
			frames, h, w, ctxLen)
	}
	if arch == nil || arch.InDim <= 0 || arch.TextDim <= 0 || arch.PatchVolume() <= 0 {
		return nil, fmt.Errorf("dit: synthetic inputs: the architecture lacks in_dim/text_dim/patch_size")
	}
	p := arch.PatchSize
	grid := [3]int{frames / p[0], h / p[1], w / p[2]}
	if grid[0]*grid[1]*grid[2] == 0 {
		return nil, fmt.Errorf("dit: synthetic inputs: latent %dx%dx%d is smaller than patch %v", frames, h, w, p)
	}
	seqLen := grid[0] * grid[1] * grid[2]
	g := detrand.New(seed)
	in := &Inputs{
		X:            g.Normals(arch.InDim * frames * h * w),
		XShape:       []int{arch.InDim, frames, h, w},
		Context:      g.Normals(ctxLen * arch.TextDim),
		ContextShape: []int{ctxLen, arch.TextDim},
		SeqLen:       seqLen,
		Timestep:     float32(math.Floor(1000 * g.Uniform())),
	}
	if arch.ModelType == ModelTypeI2V && arch.OutDim > 0 && arch.OutDim < arch.InDim {
		// the same draws, split: the noise's channels, then y's
		n := arch.OutDim * frames * h * w
		in.X, in.Y = in.X[:n:n], in.X[n:]
		in.XShape, in.YShape = []int{arch.OutDim, frames, h, w}, []int{arch.InDim - arch.OutDim, frames, h, w}
	}
	if arch.ModelType == ModelTypeTI2V {
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
