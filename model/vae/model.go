//go:build mlx

package vae

import (
	"fmt"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// Model is a loaded Wan2.2 VAE. Its weights are kept outside any mlx.Do
// scope until Free is called. A Model is not safe for concurrent Encode or
// Decode calls from several goroutines (MLX runs them one at a time anyway).
type Model struct {
	arch    *mapping.VAEArch // validated; the model's own copy
	opts    Options          // resolved: ComputeDType is explicit
	dtype   mlx.Dtype        // opts.ComputeDType
	enc     *encoder
	dec     *decoder
	mean    *mlx.Array // (z,) float32
	invStd  *mlx.Array // (z,) float32
	weights []*mlx.Array
}

// ArchFromWeights infers the architecture from the converted weights'
// names, dtypes and shapes through package mapping, which also checks that
// the weights are exactly the architecture's set.
func ArchFromWeights(ws map[string]*mlx.Array) (*mapping.VAEArch, error) {
	a, err := weights.Infer(mapping.ComponentVAE, ws, nil)
	if err != nil {
		return nil, err
	}
	v, ok := a.(*mapping.VAEArch)
	if !ok {
		return nil, fmt.Errorf("vae: the weights are a %T; this model runs the Wan2.2 VAE", a)
	}
	return v, nil
}

// New builds the model from converted (MLX-named, channels-last) weights.
// It returns a *mapping.PlanError naming every missing, wrong-shaped,
// unexpected or non-floating tensor. The weights are cast to the compute
// dtype and evaluated. New may run inside or outside mlx.Do.
//
// On success the model owns the weight arrays (see the package doc): New
// frees them once their compute-dtype copies are made, and the caller must
// neither use nor free them afterwards. On error they stay the caller's.
func New(arch *mapping.VAEArch, ws map[string]*mlx.Array, opts Options) (*Model, error) {
	a, err := resolveArch(arch)
	if err != nil {
		return nil, err
	}
	if opts, err = opts.resolve(); err != nil {
		return nil, err
	}
	if err := weights.Check(a, ws); err != nil {
		return nil, err
	}
	m := &Model{arch: a, opts: opts, dtype: weights.MLXDType(opts.ComputeDType)}
	err = mlx.Do(func() error {
		b := &builder{src: ws, dtype: m.dtype}
		m.enc = b.encoder(a)
		m.dec = b.decoder(a)
		m.mean = b.keep(mlx.FromFloat32s(LatentMean(), a.ZDim))
		m.invStd = b.keep(mlx.FromFloat32s(LatentInvStd(), a.ZDim))
		if err := mlx.Eval(b.made...); err != nil {
			return fmt.Errorf("vae: preparing weights: %w", err)
		}
		mlx.Keep(b.made...)
		m.weights = b.made
		weights.Take(ws, func(*mlx.Array) bool { return false }) // every weight now has its copy
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Load reads the VAE from a converted safetensors file (package layout
// finds it in a directory), infers the architecture and builds the model
// with New, which takes the weights.
func Load(file string, opts Options) (*Model, error) {
	var m *Model
	err := mlx.Do(func() error {
		ws, _, err := mlx.LoadSafetensors(file)
		if err != nil {
			return fmt.Errorf("vae: %w", err)
		}
		arch, err := ArchFromWeights(ws)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		m, err = New(arch, ws, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		return nil
	})
	return m, err
}

// Arch returns a copy of the model's architecture.
func (m *Model) Arch() *mapping.VAEArch { return m.arch.Clone() }

// Options returns the options the model was built with, its compute dtype
// explicit.
func (m *Model) Options() Options { return m.opts }

// ParamCount is the number of parameters.
func (m *Model) ParamCount() int64 { return tensor.ParamCount(m.arch.RequiredMLX()) }

// LatentFrames is the number of latent frames Encode produces for a video
// of the given length: the first frame, then one per complete group of
// frames (4 for Wan2.2); a trailing partial group is ignored, as upstream
// does.
func (m *Model) LatentFrames(videoFrames int) int { return latentFrames(m.arch, videoFrames) }

// VideoFrames is the number of frames Decode produces for a latent of the
// given length.
func (m *Model) VideoFrames(latentFrames int) int { return videoFrames(m.arch, latentFrames) }

// Free releases the weights. The model must not be used afterwards.
func (m *Model) Free() {
	for _, a := range m.weights {
		a.Free()
	}
	m.weights = nil
}
