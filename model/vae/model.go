//go:build mlx

package vae

import (
	"fmt"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
)

// Options tune how the model runs.
type Options struct {
	// ComputeDType is the dtype the weights are cast to at load and the
	// activations are computed in: float32, bfloat16 or float16. Any other
	// value (the zero value included) means float32, which is what upstream uses (Wan2_2_VAE
	// runs in float32 by default) and costs 4 bytes per parameter (2.8 GB
	// for the release VAE). bfloat16 halves that; RMS norms then still
	// accumulate in float32 inside MLX, and the latent normalisation is
	// always done in float32.
	ComputeDType mlx.Dtype
}

func (o Options) dtype() mlx.Dtype {
	if o.ComputeDType.IsFloat() && o.ComputeDType != mlx.Float64 {
		return o.ComputeDType
	}
	return mlx.Float32
}

// Model is a loaded Wan2.2 VAE. Its weights are kept outside any mlx.Do
// scope until Free is called. A Model is not safe for concurrent Encode or
// Decode calls from several goroutines (MLX runs them one at a time anyway).
type Model struct {
	cfg     Config
	dtype   mlx.Dtype
	enc     *encoder
	dec     *decoder
	mean    *mlx.Array // (z,) float32
	invStd  *mlx.Array // (z,) float32
	weights []*mlx.Array
}

// ConfigFromWeights infers the architecture from the converted weights'
// names, dtypes and shapes through package mapping, which also checks that
// the weights are exactly the architecture's set; see ConfigFromArch.
func ConfigFromWeights(ws map[string]*mlx.Array) (Config, error) {
	return weights.Infer(mapping.ComponentVAE, ws, ConfigFromTensors)
}

// New builds the model from converted (MLX-named, channels-last) weights.
// It returns a *mapping.PlanError naming every missing, wrong-shaped,
// unexpected or non-floating tensor. The weights are cast to the compute dtype, evaluated
// and kept; the caller may free the map's arrays afterwards.
func New(cfg Config, ws map[string]*mlx.Array, opts Options) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.DimMult) == 0 || cfg.ZDim != len(latentMean) {
		return nil, fmt.Errorf("vae: z_dim %d does not match the %d latent normalisation constants of Wan2.2", cfg.ZDim, len(latentMean))
	}
	if err := weights.Check(cfg.Arch(), ws); err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, dtype: opts.dtype()}
	err := mlx.Do(func() error {
		b := &builder{src: ws, dtype: m.dtype}
		m.enc = b.encoder(cfg)
		m.dec = b.decoder(cfg)
		m.mean = b.keep(mlx.FromFloat32s(LatentMean(), cfg.ZDim))
		m.invStd = b.keep(mlx.FromFloat32s(LatentInvStd(), cfg.ZDim))
		if err := mlx.Eval(b.made...); err != nil {
			return fmt.Errorf("vae: preparing weights: %w", err)
		}
		mlx.Keep(b.made...)
		m.weights = b.made
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Load reads the VAE from a converted safetensors file (package layout
// finds it in a directory), infers the architecture and builds the model.
func Load(file string, opts Options) (*Model, error) {
	var m *Model
	err := mlx.Do(func() error {
		ws, _, err := mlx.LoadSafetensors(file)
		if err != nil {
			return fmt.Errorf("vae: %w", err)
		}
		cfg, err := ConfigFromWeights(ws)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		m, err = New(cfg, ws, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		return nil
	})
	return m, err
}

// Config returns the architecture.
func (m *Model) Config() Config { return m.cfg }

// ComputeDType returns the dtype the model computes in.
func (m *Model) ComputeDType() mlx.Dtype { return m.dtype }

// ParamCount is the number of parameters.
func (m *Model) ParamCount() int64 { return m.cfg.ParamCount() }

// Free releases the weights. The model must not be used afterwards.
func (m *Model) Free() {
	for _, a := range m.weights {
		a.Free()
	}
	m.weights = nil
}
