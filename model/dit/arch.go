package dit

import (
	"fmt"
	"slices"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// Upstream constructor defaults for what tensor shapes cannot tell, used
// when config.json does not state them.
const (
	DefaultTextLen  = 512
	DefaultNumHeads = 16
	DefaultEps      = 1e-6
)

// ConfigFromArch builds the model configuration from the architecture
// package mapping inferred (sizes from the tensor shapes, the rest from
// config.json). The fields config.json did not state (zero in a) take the
// upstream defaults: model_type t2v, text_len 512, num_heads 16, eps 1e-6.
// The result is validated.
func ConfigFromArch(a *mapping.DiTArch) (Config, error) {
	if a == nil {
		return Config{}, fmt.Errorf("dit: no architecture")
	}
	if len(a.PatchSize) != 3 {
		return Config{}, fmt.Errorf("dit: patch_size %v must have three entries", a.PatchSize)
	}
	window := a.WindowSize
	if window == nil {
		window = []int{-1, -1}
	}
	if len(window) != 2 {
		return Config{}, fmt.Errorf("dit: window_size %v must have two entries", a.WindowSize)
	}
	c := Config{
		ModelType: a.ModelType, PatchSize: [3]int(a.PatchSize), TextLen: a.TextLen,
		InDim: a.InDim, Dim: a.Dim, FFNDim: a.FFNDim, FreqDim: a.FreqDim, TextDim: a.TextDim,
		OutDim: a.OutDim, NumHeads: a.NumHeads, NumLayers: a.NumLayers, WindowSize: [2]int(window),
		QKNorm: a.QKNorm, CrossAttnNorm: a.CrossAttnNorm, Eps: a.Eps,
	}
	if c.ModelType == "" {
		c.ModelType = ModelTypeT2V
	}
	if c.TextLen == 0 {
		c.TextLen = DefaultTextLen
	}
	if c.NumHeads == 0 {
		c.NumHeads = DefaultNumHeads
	}
	if c.Eps == 0 {
		c.Eps = DefaultEps
	}
	return c, c.Validate()
}

// Arch returns c as a mapping architecture, whose RequiredMLX lists every
// weight the model needs (MLX names and converted shapes).
func (c Config) Arch() *mapping.DiTArch {
	return &mapping.DiTArch{
		ModelType: c.ModelType, PatchSize: c.PatchSize[:], TextLen: c.TextLen,
		InDim: c.InDim, Dim: c.Dim, FFNDim: c.FFNDim, FreqDim: c.FreqDim, TextDim: c.TextDim,
		OutDim: c.OutDim, NumHeads: c.NumHeads, NumLayers: c.NumLayers, WindowSize: slices.Clone(c.WindowSize[:]),
		QKNorm: c.QKNorm, CrossAttnNorm: c.CrossAttnNorm, Eps: c.Eps,
	}
}

// ConfigFromTensors infers the configuration of converted DiT weights
// described by name, dtype and shape, with the release's config.json (may
// be nil): mapping.CheckConverted infers the architecture and checks that
// the set is exactly the one it requires, naming every problem.
func ConfigFromTensors(infos []tensor.Info, configJSON []byte) (Config, error) {
	arch, err := mapping.CheckConverted(mapping.ComponentDiT, infos, configJSON)
	if err != nil {
		return Config{}, err // a *mapping.PlanError, which names the component
	}
	return ConfigFromArch(arch.(*mapping.DiTArch))
}

// ParamCount is the number of parameters of the architecture.
func (c Config) ParamCount() int64 { return tensor.ParamCount(c.Arch().RequiredMLX()) }
