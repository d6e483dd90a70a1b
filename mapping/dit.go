package mapping

import (
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// DiTArch is the WanModel configuration. The JSON names follow upstream's
// constructor arguments. Fields marked "config" come only from config.json
// and are zero when it was not given; the others are read off the weights
// (and checked against config.json when it has them).
type DiTArch struct {
	ModelType     string  `json:"model_type"` // config: t2v, i2v, ti2v or s2v
	PatchSize     []int   `json:"patch_size"`
	TextLen       int     `json:"text_len"` // config
	InDim         int     `json:"in_dim"`
	Dim           int     `json:"dim"`
	FFNDim        int     `json:"ffn_dim"`
	FreqDim       int     `json:"freq_dim"`
	TextDim       int     `json:"text_dim"`
	OutDim        int     `json:"out_dim"`
	NumHeads      int     `json:"num_heads"` // config
	NumLayers     int     `json:"num_layers"`
	WindowSize    []int   `json:"window_size"` // config, default (-1, -1)
	QKNorm        bool    `json:"qk_norm"`
	CrossAttnNorm bool    `json:"cross_attn_norm"`
	Eps           float64 `json:"eps"` // config
}

// minDiTBlockTensors is the fewest tensors a WanModel block has: its
// modulation, q/k/v/o weight and bias of both attentions, and the two FFN
// linears' weights and biases.
const minDiTBlockTensors = 1 + 2*4*2 + 2*2

// Component implements Arch.
func (a *DiTArch) Component() Component { return ComponentDiT }

// HeadDim is Dim / NumHeads (0 while NumHeads is unknown).
func (a *DiTArch) HeadDim() int {
	if a.NumHeads <= 0 {
		return 0
	}
	return a.Dim / a.NumHeads
}

// ditConfig holds the config.json fields wanconv reads; pointers tell absent
// from zero.
type ditConfig struct {
	ModelType     *string  `json:"model_type"`
	PatchSize     []int    `json:"patch_size"`
	TextLen       *int     `json:"text_len"`
	InDim         *int     `json:"in_dim"`
	Dim           *int     `json:"dim"`
	FFNDim        *int     `json:"ffn_dim"`
	FreqDim       *int     `json:"freq_dim"`
	TextDim       *int     `json:"text_dim"`
	OutDim        *int     `json:"out_dim"`
	NumHeads      *int     `json:"num_heads"`
	NumLayers     *int     `json:"num_layers"`
	WindowSize    []int    `json:"window_size"`
	QKNorm        *bool    `json:"qk_norm"`
	CrossAttnNorm *bool    `json:"cross_attn_norm"`
	Eps           *float64 `json:"eps"`
}

// InferDiT reads the DiT architecture off the tensor shapes, completed and
// cross-checked by config.json when configJSON is not nil. Errors are
// *PlanError values listing every problem.
func InferDiT(src []tensor.Info, configJSON []byte) (*DiTArch, error) {
	f := &inferer{inv: newInventory(src)}
	a := &DiTArch{WindowSize: []int{-1, -1}}

	a.Dim = f.dim("dim", anchor{"patch_embedding.bias", 1, 0}, anchor{"head.modulation", 3, 2},
		anchor{"blocks.#.modulation", 3, 2})
	if t, ok := f.inv.find("patch_embedding.weight"); ok && len(t.Shape) == 5 && positive(t.Shape) {
		a.InDim = int(t.Shape[1])
		a.PatchSize = []int{int(t.Shape[2]), int(t.Shape[3]), int(t.Shape[4])}
	} else if ok {
		f.fail(t.Name, "cannot infer in_dim and patch_size: shape %s is not a positive (dim, in_dim, pt, ph, pw)", tensor.ShapeString(t.Shape))
	} else {
		f.fail("", "cannot infer in_dim and patch_size: tensor patch_embedding.weight is missing")
	}
	a.TextDim = f.dim("text_dim", anchor{"text_embedding.0.weight", 2, 1})
	a.FreqDim = f.dim("freq_dim", anchor{"time_embedding.0.weight", 2, 1})
	a.FFNDim = f.dim("ffn_dim", anchor{"blocks.#.ffn.0.weight", 2, 0}, anchor{"blocks.#.ffn.0.bias", 1, 0},
		anchor{"blocks.#.ffn.2.weight", 2, 1})
	a.NumLayers = f.count("blocks", minDiTBlockTensors)
	if len(f.inv.indices("blocks")) == 0 {
		f.fail("", "no transformer blocks (blocks.N.*) found")
	}
	if len(a.PatchSize) == 3 {
		patch := a.PatchSize[0] * a.PatchSize[1] * a.PatchSize[2]
		a.OutDim = f.ratio("out_dim", f.dim("out_dim", anchor{"head.head.weight", 2, 0}, anchor{"head.head.bias", 1, 0}), patch)
	}
	a.QKNorm = f.inv.has("blocks.#.self_attn|cross_attn.norm_q|norm_k.weight")
	a.CrossAttnNorm = f.inv.has("blocks.#.norm3.weight|bias")

	if configJSON != nil {
		applyDiTConfig(f, a, configJSON)
	}
	validateDiT(f, a)
	if err := f.err(ComponentDiT); err != nil {
		return a, err
	}
	return a, nil
}

// validateDiT checks the constraints WanModel asserts.
func validateDiT(f *inferer, a *DiTArch) {
	if a.NumHeads != 0 {
		switch {
		case a.NumHeads < 0:
			f.fail("", "num_heads %d must be positive", a.NumHeads)
		case a.Dim%a.NumHeads != 0:
			f.fail("", "dim %d is not divisible by num_heads %d", a.Dim, a.NumHeads)
		case (a.Dim/a.NumHeads)%2 != 0:
			f.fail("", "head_dim %d (dim %d / num_heads %d) must be even for RoPE", a.Dim/a.NumHeads, a.Dim, a.NumHeads)
		}
	}
	if a.ModelType != "" && !oneOf(a.ModelType, "t2v", "i2v", "ti2v", "s2v") {
		f.fail("", "model_type %q is not one of t2v, i2v, ti2v, s2v", a.ModelType)
	}
	if a.FreqDim%2 != 0 {
		f.fail("", "freq_dim %d must be even", a.FreqDim)
	}
	if len(a.WindowSize) != 2 {
		f.fail("", "window_size must have two entries, got %v", a.WindowSize)
	}
	if a.Eps < 0 {
		f.fail("", "eps %g must not be negative", a.Eps)
	}
}

func positive(shape []int64) bool {
	for _, d := range shape {
		if d <= 0 {
			return false
		}
	}
	return true
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

// RequiredTorch implements Arch.
func (a *DiTArch) RequiredTorch() []tensor.Info {
	var r reqList
	d, p := a.Dim, a.PatchSize
	if len(p) != 3 {
		p = []int{0, 0, 0}
	}
	r.add("patch_embedding.weight", d, a.InDim, p[0], p[1], p[2])
	r.add("patch_embedding.bias", d)
	linear := func(name string, out, in int) {
		r.add(name+".weight", out, in)
		r.add(name+".bias", out)
	}
	linear("text_embedding.0", d, a.TextDim)
	linear("text_embedding.2", d, d)
	linear("time_embedding.0", d, a.FreqDim)
	linear("time_embedding.2", d, d)
	linear("time_projection.1", 6*d, d)
	for i := 0; i < a.NumLayers; i++ {
		b := fmt.Sprintf("blocks.%d.", i)
		r.add(b+"modulation", 1, 6, d)
		for _, attn := range []string{"self_attn", "cross_attn"} {
			for _, proj := range []string{"q", "k", "v", "o"} {
				linear(b+attn+"."+proj, d, d)
			}
			if a.QKNorm {
				r.add(b+attn+".norm_q.weight", d)
				r.add(b+attn+".norm_k.weight", d)
			}
		}
		if a.CrossAttnNorm {
			r.add(b+"norm3.weight", d)
			r.add(b+"norm3.bias", d)
		}
		linear(b+"ffn.0", a.FFNDim, d)
		linear(b+"ffn.2", d, a.FFNDim)
	}
	r.add("head.modulation", 1, 2, d)
	linear("head.head", p[0]*p[1]*p[2]*a.OutDim, d)
	return r.sorted()
}

// RequiredMLX implements Arch.
func (a *DiTArch) RequiredMLX() []tensor.Info { return requiredMLX(ComponentDiT, a.RequiredTorch()) }
