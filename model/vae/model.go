//go:build mlx

package vae

import (
	"fmt"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// Model is a loaded Wan2.2 or Wan2.1 VAE. Its weights are kept outside any
// mlx.Do scope until Free is called. A Model is not safe for concurrent
// Encode or Decode calls from several goroutines (MLX runs them one at a
// time anyway).
type Model struct {
	arch    mapping.Arch // *mapping.VAEArch or *mapping.VAE21Arch; validated, the model's own copy
	version version
	zDim    int
	opts    Options   // resolved: ComputeDType is explicit
	dtype   mlx.Dtype // opts.ComputeDType
	enc     encoderNet
	dec     decoderNet
	mean    *mlx.Array // (z,) float32
	invStd  *mlx.Array // (z,) float32
	weights []*mlx.Array
}

// encoderNet encodes one chunk of (patchified) frames into unnormalised
// mu; slotCount is the number of stream slots it uses.
type encoderNet interface {
	forward(x *mlx.Array, st *stream) *mlx.Array
	slotCount() int
}

// decoderNet decodes one denormalised latent frame.
type decoderNet interface {
	forward(z *mlx.Array, st *stream, firstChunk bool) *mlx.Array
	slotCount() int
}

// ArchFromWeights infers the architecture from the converted weights'
// names, dtypes and shapes through package mapping, which also checks that
// the weights are exactly the architecture's set: a *mapping.VAEArch for a
// Wan2.2 VAE, a *mapping.VAE21Arch for a Wan2.1 one.
func ArchFromWeights(ws map[string]*mlx.Array) (mapping.Arch, error) {
	return weights.Infer(mapping.ComponentVAE, ws, nil)
}

// New builds the model from converted (MLX-named, channels-last) weights.
// It returns a *mapping.PlanError naming every missing, wrong-shaped,
// unexpected or non-floating tensor. The weights are cast to the compute
// dtype and evaluated. New may run inside or outside mlx.Do.
//
// On success the model owns the weight arrays (see the package doc): New
// frees them once their compute-dtype copies are made, and the caller must
// neither use nor free them afterwards. On error they stay the caller's.
func New(arch mapping.Arch, ws map[string]*mlx.Array, opts Options) (*Model, error) {
	a, err := resolveAny(arch)
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
	m.version, m.zDim, _, _ = versionOf(a)
	err = mlx.Do(func() error {
		b := &builder{src: ws, dtype: m.dtype}
		switch a := a.(type) {
		case *mapping.VAEArch:
			m.enc, m.dec = b.encoder(a), b.decoder(a)
		case *mapping.VAE21Arch:
			m.enc, m.dec = b.encoder21(a), b.decoder21(a)
		}
		mean, invStd := LatentStats(a)
		m.mean = b.keep(mlx.FromFloat32s(mean, m.zDim))
		m.invStd = b.keep(mlx.FromFloat32s(invStd, m.zDim))
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

// Arch returns a copy of the model's architecture: a *mapping.VAEArch
// (Wan2.2) or a *mapping.VAE21Arch (Wan2.1).
func (m *Model) Arch() mapping.Arch {
	switch a := m.arch.(type) {
	case *mapping.VAEArch:
		return a.Clone()
	case *mapping.VAE21Arch:
		return a.Clone()
	}
	return nil
}

// Version is "Wan2.2" or "Wan2.1".
func (m *Model) Version() string { return m.version.name }

// Options returns the options the model was built with, its compute dtype
// explicit.
func (m *Model) Options() Options { return m.opts }

// ParamCount is the number of parameters.
func (m *Model) ParamCount() int64 { return tensor.ParamCount(m.arch.RequiredMLX()) }

// LatentFrames is the number of latent frames Encode produces for a video
// of the given length: the first frame, then one per complete group of
// frames (4 for both released VAEs); a trailing partial group is ignored,
// as upstream does.
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
