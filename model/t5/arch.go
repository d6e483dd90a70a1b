package t5

import (
	"errors"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// ConfigFromArch builds the encoder configuration from the architecture
// package mapping inferred from the weights. MaxDistance and Eps, which the
// weights do not reveal, take the upstream defaults. An encoder with one
// shared relative position table (shared_pos) is refused: umt5, the only
// encoder Wan2.2 ships, has one table per block and so does this package.
func ConfigFromArch(a *mapping.T5Arch) (Config, error) {
	if a == nil {
		return Config{}, errors.New("t5: no architecture")
	}
	if a.SharedPos {
		return Config{}, errors.New("t5: a shared relative position table (shared_pos=true, tensor pos_embedding.embedding.weight) is not supported; umt5 has one per block")
	}
	c := Config{Vocab: a.Vocab, Dim: a.Dim, DimAttn: a.DimAttn, DimFFN: a.DimFFN, NumHeads: a.NumHeads,
		NumLayers: a.NumLayers, NumBuckets: a.NumBuckets, MaxDistance: DefaultMaxDistance, Eps: DefaultEps}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Arch returns c as a mapping architecture, whose RequiredMLX lists every
// weight the encoder needs (MLX names and shapes).
func (c Config) Arch() *mapping.T5Arch {
	return &mapping.T5Arch{Vocab: c.Vocab, Dim: c.Dim, DimAttn: c.DimAttn, DimFFN: c.DimFFN,
		NumHeads: c.NumHeads, NumLayers: c.NumLayers, NumBuckets: c.NumBuckets}
}

// ConfigFromTensors infers the configuration of converted encoder weights
// described by name, dtype and shape: mapping.CheckConverted infers the
// architecture and checks that the set is exactly the one it requires,
// naming every missing, unexpected or wrong-shaped tensor.
func ConfigFromTensors(infos []tensor.Info) (Config, error) {
	arch, err := mapping.CheckConverted(mapping.ComponentT5, infos, nil)
	if err != nil {
		return Config{}, err // a *mapping.PlanError, which names the component
	}
	return ConfigFromArch(arch.(*mapping.T5Arch))
}

// ParamCount is the number of parameters of the encoder.
func (c Config) ParamCount() int64 { return tensor.ParamCount(c.Arch().RequiredMLX()) }
