//go:build mlx

package dit

import (
	"fmt"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// Model is a WanModel on MLX. Build it with New or Load; call Forward inside
// mlx.Do.
type Model struct {
	arch *mapping.DiTArch // defaults applied, validated; the model's own copy
	opts Options          // resolved: ComputeDType is explicit

	patchW, patchB  *mlx.Array
	textIn, textOut linear
	timeIn, timeOut linear
	timeProj        linear
	blocks          []block
	stream          *streamer  // the blocks' weights, read per forward pass; nil when in memory
	headModulation  *mlx.Array // [2, dim] float32
	head            linear
	owned           []*mlx.Array // every array the model holds, freed by Free
	// quant and qlin: a quantized checkpoint's settings and its quantized
	// Linears by prefix (quantized.go); nil for a dense one.
	quant *mapping.QuantizedDiT
	qlin  map[string]mapping.QuantizedLinear
}

// ArchFromWeights infers the architecture from the weights' names, dtypes
// and shapes and config.json (may be nil) through package mapping, which
// also checks that the weights are exactly the architecture's set. The
// fields config.json did not state stay zero; New fills in the defaults.
func ArchFromWeights(ws map[string]*mlx.Array, configJSON []byte) (*mapping.DiTArch, error) {
	infos, odd, _ := describe(ws, configJSON)
	a, err := weights.InferInfos(mapping.ComponentDiT, infos, odd, configJSON)
	if err != nil {
		return nil, err
	}
	return a.(*mapping.DiTArch), nil
}

// New checks that weights hold exactly the tensors of arch, with the right
// shapes and floating dtypes, and builds the model; the fields config.json
// did not state take upstream's defaults (mapping.DiTArch.WithDefaults).
// The error lists every problem. New may run inside or outside mlx.Do.
//
// On success the model owns the weight arrays (see the package doc): the
// caller must neither use nor free them afterwards. On error they stay the
// caller's.
func New(arch *mapping.DiTArch, ws map[string]*mlx.Array, opts Options) (*Model, error) {
	a, err := resolveArch(arch)
	if err != nil {
		return nil, err
	}
	if opts, err = opts.resolve(); err != nil {
		return nil, err
	}
	infos, odd, quant := describe(ws, nil)
	if err := weights.CheckInfos(a, infos, odd); err != nil {
		return nil, fmt.Errorf("weights do not match the architecture: %w", err)
	}
	m := &Model{arch: a, opts: opts}
	m.setQuantized(quant)
	if err := m.build(ws, true); err != nil {
		return nil, err
	}
	return m, nil
}

// build makes the model's layers from ws (the blocks too unless the model
// streams them) and takes the weights it uses; on error nothing is kept.
func (m *Model) build(ws map[string]*mlx.Array, withBlocks bool) error {
	return mlx.Do(func() error {
		b := builder{m: m, weights: ws, used: make(map[*mlx.Array]bool), keep: true}
		m.patchW, m.patchB = b.small("patch_embedding.weight"), b.small("patch_embedding.bias")
		m.textIn, m.textOut = b.linear("text_embedding.layers.0"), b.linear("text_embedding.layers.2")
		m.timeIn, m.timeOut = b.linear("time_embedding.layers.0"), b.linear("time_embedding.layers.2")
		m.timeProj = b.linear("time_projection.layers.1")
		if withBlocks {
			m.blocks = make([]block, m.arch.NumLayers)
			for k := range m.blocks {
				m.blocks[k] = b.block(fmt.Sprintf("blocks.%d", k))
			}
		}
		m.headModulation = b.small("head.modulation")
		m.head = b.linear("head.head")
		if err := mlx.Eval(m.owned...); err != nil {
			m.Free()
			return fmt.Errorf("dit: preparing weights: %w", err)
		}
		m.owned = append(m.owned, weights.Take(ws, func(w *mlx.Array) bool { return b.used[w] })...)
		return nil
	})
}

// builder picks weights by name and converts the small ones to float32.
type builder struct {
	m       *Model
	weights map[string]*mlx.Array
	used    map[*mlx.Array]bool // weights the model references as given
	// keep: the converted copies outlive the current Do (the model owns
	// them); otherwise they stay in the current scope (a streamed block).
	keep bool
}

// own keeps an array New created so that it outlives the current Do (with
// keep; a streamed block's copies are left to its scope).
func (b builder) own(a *mlx.Array) *mlx.Array {
	if !b.keep {
		return a
	}
	mlx.Keep(a)
	b.m.owned = append(b.m.owned, a)
	return a
}

// small returns a float32 copy of a norm weight, bias, modulation or the
// patch embedding (all tiny next to the linear layers).
func (b builder) small(name string) *mlx.Array {
	w := b.weights[name]
	if w.Dtype() == mlx.Float32 {
		b.used[w] = true
		return w
	}
	return b.own(mlx.AsType(w, mlx.Float32))
}

// linear returns the layer prefix.weight/prefix.bias; the weight is cast to
// the compute dtype now only with Options.CastAtLoad.
func (b builder) linear(prefix string) linear {
	if ql, ok := b.m.qlin[prefix]; ok {
		return b.quantLinearOf(prefix, ql)
	}
	w := b.weights[prefix+".weight"]
	if dt := weights.MLXDType(b.m.opts.ComputeDType); b.m.opts.CastAtLoad && w.Dtype() != dt {
		w = b.own(mlx.AsType(w, dt))
	} else {
		b.used[w] = true
	}
	return linear{w: w, b: b.small(prefix + ".bias")}
}

func (b builder) optional(name string) *mlx.Array {
	if _, ok := b.weights[name]; !ok {
		return nil
	}
	return b.small(name)
}

func (b builder) attention(prefix string) attention {
	return attention{
		q: b.linear(prefix + ".q"), k: b.linear(prefix + ".k"),
		v: b.linear(prefix + ".v"), o: b.linear(prefix + ".o"),
		normQ: b.optional(prefix + ".norm_q.weight"), normK: b.optional(prefix + ".norm_k.weight"),
	}
}

func (b builder) block(prefix string) block {
	return block{
		modulation: b.small(prefix + ".modulation"),
		selfAttn:   b.attention(prefix + ".self_attn"),
		crossAttn:  b.attention(prefix + ".cross_attn"),
		norm3W:     b.optional(prefix + ".norm3.weight"),
		norm3B:     b.optional(prefix + ".norm3.bias"),
		ffnIn:      b.linear(prefix + ".ffn.layers.0"),
		ffnOut:     b.linear(prefix + ".ffn.layers.2"),
	}
}

// Arch returns a copy of the model's architecture (defaults applied).
func (m *Model) Arch() *mapping.DiTArch { return m.arch.Clone() }

// ParamCount is the number of parameters of the model's architecture.
func (m *Model) ParamCount() int64 { return tensor.ParamCount(m.arch.RequiredMLX()) }

// Options returns the options the model was built with, its compute dtype
// explicit.
func (m *Model) Options() Options { return m.opts }

// Free releases every array the model holds: the weights it took and the
// converted copies it made. The model must not be used afterwards.
func (m *Model) Free() {
	_ = mlx.Do(func() error {
		for _, a := range m.owned {
			a.Free()
		}
		return nil
	})
	m.owned = nil
}
