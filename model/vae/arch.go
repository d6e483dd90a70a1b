package vae

import (
	"errors"
	"fmt"
	"slices"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// ConfigFromArch builds the VAE configuration from the architecture package
// mapping inferred from the weights, and validates it. Attention inside the
// resolution levels (attn_scales, empty in Wan2.2) is refused, and so are
// decoder temporal-upsample flags that are not the reverse of the encoder's
// temporal-downsample flags (upstream always mirrors them).
func ConfigFromArch(a *mapping.VAEArch) (Config, error) {
	if a == nil {
		return Config{}, errors.New("vae: no architecture")
	}
	if len(a.AttnScales) > 0 {
		return Config{}, fmt.Errorf("vae: attention in the resolution levels (attn_scales %v) is not supported", a.AttnScales)
	}
	c := Config{Dim: a.Dim, DecDim: a.DecDim, ZDim: a.ZDim, DimMult: slices.Clone(a.DimMult),
		NumResBlocks: a.NumResBlocks, TemporalDownsample: slices.Clone(a.TemperalDownsample)}
	if !slices.Equal(c.temporalUpsample(), a.TemperalUpsample) {
		return Config{}, fmt.Errorf("vae: temperal_upsample %v is not the reverse of temperal_downsample %v",
			a.TemperalUpsample, a.TemperalDownsample)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Arch returns c as a mapping architecture, whose RequiredMLX lists every
// weight the VAE needs (MLX names and converted shapes).
func (c Config) Arch() *mapping.VAEArch {
	return &mapping.VAEArch{Dim: c.Dim, DecDim: c.DecDim, ZDim: c.ZDim, DimMult: slices.Clone(c.DimMult),
		NumResBlocks: c.NumResBlocks, AttnScales: []float64{},
		TemperalDownsample: slices.Clone(c.TemporalDownsample), TemperalUpsample: c.temporalUpsample()}
}

// ConfigFromTensors infers the configuration of converted VAE weights
// described by name, dtype and shape: mapping.CheckConverted infers the
// architecture and checks that the set is exactly the one it requires,
// naming every missing, unexpected or wrong-shaped tensor.
func ConfigFromTensors(infos []tensor.Info) (Config, error) {
	arch, err := mapping.CheckConverted(mapping.ComponentVAE, infos, nil)
	if err != nil {
		return Config{}, err // a *mapping.PlanError, which names the component
	}
	return ConfigFromArch(arch.(*mapping.VAEArch))
}

// ParamCount is the number of parameters of the architecture.
func (c Config) ParamCount() int64 { return tensor.ParamCount(c.Arch().RequiredMLX()) }
