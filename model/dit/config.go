package dit

import (
	"fmt"
	"sort"
	"strings"
)

// Model types this package runs. "i2v" and "s2v" need extra conditioning
// inputs that Forward does not take, so they are rejected.
const (
	ModelTypeT2V  = "t2v"
	ModelTypeTI2V = "ti2v"
)

// Config is the architecture of a WanModel. The JSON tags follow the field
// names of the release's config.json.
type Config struct {
	ModelType     string  `json:"model_type"`
	PatchSize     [3]int  `json:"patch_size"`
	TextLen       int     `json:"text_len"`
	InDim         int     `json:"in_dim"`
	Dim           int     `json:"dim"`
	FFNDim        int     `json:"ffn_dim"`
	FreqDim       int     `json:"freq_dim"`
	TextDim       int     `json:"text_dim"`
	OutDim        int     `json:"out_dim"`
	NumHeads      int     `json:"num_heads"`
	NumLayers     int     `json:"num_layers"`
	WindowSize    [2]int  `json:"window_size"`
	QKNorm        bool    `json:"qk_norm"`
	CrossAttnNorm bool    `json:"cross_attn_norm"`
	Eps           float64 `json:"eps"`
}

// HeadDim is Dim / NumHeads.
func (c Config) HeadDim() int { return c.Dim / c.NumHeads }

// PatchVolume is the number of latent positions one token covers.
func (c Config) PatchVolume() int { return c.PatchSize[0] * c.PatchSize[1] * c.PatchSize[2] }

// Validate checks the divisibility and range constraints the forward pass
// relies on.
func (c Config) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if c.ModelType != ModelTypeT2V && c.ModelType != ModelTypeTI2V {
		add("model_type %q is not supported (want %q or %q)", c.ModelType, ModelTypeT2V, ModelTypeTI2V)
	}
	for name, v := range map[string]int{
		"text_len": c.TextLen, "in_dim": c.InDim, "dim": c.Dim, "ffn_dim": c.FFNDim, "freq_dim": c.FreqDim,
		"text_dim": c.TextDim, "out_dim": c.OutDim, "num_heads": c.NumHeads, "num_layers": c.NumLayers,
	} {
		if v <= 0 {
			add("%s must be positive, got %d", name, v)
		}
	}
	for i, p := range c.PatchSize {
		if p <= 0 {
			add("patch_size[%d] must be positive, got %d", i, p)
		}
	}
	if c.NumHeads > 0 && c.Dim > 0 {
		if c.Dim%c.NumHeads != 0 {
			add("dim %d is not divisible by num_heads %d", c.Dim, c.NumHeads)
		} else if c.HeadDim()%2 != 0 {
			add("head dim %d (dim/num_heads) must be even for rotary embeddings", c.HeadDim())
		}
	}
	if c.FreqDim%2 != 0 {
		add("freq_dim %d must be even", c.FreqDim)
	}
	if c.WindowSize != [2]int{-1, -1} {
		add("window_size %v is not supported (only global attention, [-1, -1])", c.WindowSize)
	}
	if !(c.Eps > 0) {
		add("eps must be positive, got %g", c.Eps)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("dit config: %s", strings.Join(problems, "; "))
	}
	return nil
}
