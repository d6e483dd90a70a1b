package vae

import (
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// Options are the model-only settings; the architecture comes from package
// mapping.
type Options struct {
	// ComputeDType is the dtype the weights are cast to at load and the
	// activations are computed in: tensor.F32 (the default, also for the
	// zero value), tensor.BF16 or tensor.F16; other values are refused.
	// Float32 is what upstream uses (Wan2_2_VAE runs in float32 by default)
	// and costs 4 bytes per parameter (2.8 GB for the release VAE); bfloat16
	// halves that, RMS norms then still accumulate in float32 inside MLX,
	// and the latent normalisation is always done in float32.
	ComputeDType tensor.DType
}

// resolve validates o and makes its compute dtype explicit.
func (o Options) resolve() (Options, error) {
	dt, err := weights.ComputeDType("vae", o.ComputeDType, tensor.BF16, tensor.F16)
	o.ComputeDType = dt
	return o, err
}
