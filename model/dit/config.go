package dit

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wanconv/wanconv/model/internal/weights"
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

// defaultConfig holds the upstream constructor defaults for the fields that
// cannot be read from tensor shapes.
func defaultConfig() Config {
	return Config{
		ModelType:  ModelTypeT2V,
		PatchSize:  [3]int{1, 2, 2},
		TextLen:    512,
		NumHeads:   16,
		WindowSize: [2]int{-1, -1},
		Eps:        1e-6,
	}
}

// Names of the tensors whose shapes carry the architecture (MLX naming).
const (
	namePatchWeight = "patch_embedding.weight"
	nameText0Weight = "text_embedding.layers.0.weight"
	nameTime0Weight = "time_embedding.layers.0.weight"
	nameHeadWeight  = "head.head.weight"
)

// InferConfig derives the architecture from tensor shapes (MLX names and
// layouts, see the package doc) and the release's config.json (may be nil).
// Sizes come from the shapes; config.json supplies what shapes cannot tell
// (model_type, num_heads, text_len, eps) and must agree with the shapes on
// everything else it states.
func InferConfig(shapes map[string][]int, configJSON []byte) (Config, error) {
	cfg := defaultConfig()
	if configJSON != nil {
		if err := json.Unmarshal(configJSON, &cfg); err != nil {
			return Config{}, fmt.Errorf("dit config.json: %w", err)
		}
	}
	stated := cfg

	var problems []string
	shapeOf := func(name string, rank int) []int {
		s, err := weights.WithRank(shapes, name, rank)
		if err != nil {
			problems = append(problems, err.Error())
		}
		return s
	}
	if s := shapeOf(namePatchWeight, 5); s != nil {
		cfg.Dim, cfg.PatchSize, cfg.InDim = s[0], [3]int{s[1], s[2], s[3]}, s[4]
	}
	if s := shapeOf(nameText0Weight, 2); s != nil {
		cfg.TextDim = s[1]
	}
	if s := shapeOf(nameTime0Weight, 2); s != nil {
		cfg.FreqDim = s[1]
	}
	cfg.NumLayers = countBlocks(shapes)
	if cfg.NumLayers == 0 {
		problems = append(problems, "no blocks.N.* tensors")
	} else {
		if s := shapeOf("blocks.0.ffn.layers.0.weight", 2); s != nil {
			cfg.FFNDim = s[0]
		}
		_, cfg.QKNorm = shapes["blocks.0.self_attn.norm_q.weight"]
		_, cfg.CrossAttnNorm = shapes["blocks.0.norm3.weight"]
	}
	if s := shapeOf(nameHeadWeight, 2); s != nil && cfg.PatchVolume() > 0 {
		if s[0]%cfg.PatchVolume() != 0 {
			problems = append(problems, fmt.Sprintf("tensor %s has %d rows, not a multiple of the patch volume %d",
				nameHeadWeight, s[0], cfg.PatchVolume()))
		}
		cfg.OutDim = s[0] / cfg.PatchVolume()
	}
	if len(problems) == 0 && configJSON != nil {
		problems = append(problems, disagreements(configJSON, stated, cfg)...)
	}
	if len(problems) > 0 {
		return Config{}, fmt.Errorf("dit: cannot infer architecture: %s", strings.Join(problems, "; "))
	}
	return cfg, cfg.Validate()
}

// countBlocks returns 1 + the largest K of any "blocks.K." tensor.
func countBlocks(shapes map[string][]int) int {
	n := 0
	for name := range shapes {
		rest, ok := strings.CutPrefix(name, "blocks.")
		if !ok {
			continue
		}
		idx, _, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		k, err := strconv.Atoi(idx)
		if err == nil && k >= n {
			n = k + 1
		}
	}
	return n
}

// disagreements lists the shape-derived fields whose value config.json states
// differently.
func disagreements(configJSON []byte, stated, inferred Config) []string {
	var present map[string]json.RawMessage
	if err := json.Unmarshal(configJSON, &present); err != nil {
		return []string{fmt.Sprintf("config.json: %v", err)}
	}
	checks := []struct {
		key            string
		stated, actual any
	}{
		{"patch_size", stated.PatchSize, inferred.PatchSize},
		{"in_dim", stated.InDim, inferred.InDim},
		{"dim", stated.Dim, inferred.Dim},
		{"ffn_dim", stated.FFNDim, inferred.FFNDim},
		{"freq_dim", stated.FreqDim, inferred.FreqDim},
		{"text_dim", stated.TextDim, inferred.TextDim},
		{"out_dim", stated.OutDim, inferred.OutDim},
		{"num_layers", stated.NumLayers, inferred.NumLayers},
		{"qk_norm", stated.QKNorm, inferred.QKNorm},
		{"cross_attn_norm", stated.CrossAttnNorm, inferred.CrossAttnNorm},
	}
	var out []string
	for _, c := range checks {
		if _, ok := present[c.key]; ok && fmt.Sprint(c.stated) != fmt.Sprint(c.actual) {
			out = append(out, fmt.Sprintf("config.json says %s=%v but the tensors give %v", c.key, c.stated, c.actual))
		}
	}
	return out
}
