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
	Config Config
	opts   Options

	patchW, patchB  *mlx.Array
	textIn, textOut linear
	timeIn, timeOut linear
	timeProj        linear
	blocks          []block
	headModulation  *mlx.Array // [2, dim] float32
	head            linear
	owned           []*mlx.Array        // kept arrays made by New/Load, freed by Free
	used            map[*mlx.Array]bool // caller's weight arrays the model references
}

// ConfigFromWeights infers the architecture from the weights' names,
// dtypes and shapes and config.json (may be nil) through package mapping,
// which also checks that the weights are exactly the architecture's set;
// see ConfigFromArch for the defaults.
func ConfigFromWeights(ws map[string]*mlx.Array, configJSON []byte) (Config, error) {
	return weights.Infer(mapping.ComponentDiT, ws, func(infos []tensor.Info) (Config, error) {
		return ConfigFromTensors(infos, configJSON)
	})
}

// New checks that weights hold exactly the tensors of cfg, with the right
// shapes and floating dtypes, and builds the model. The error lists every
// problem. Must run inside mlx.Do. The model references the caller's weight
// arrays: keep them (mlx.Keep) when the model outlives the current Do; Free
// releases only what New itself created.
func New(cfg Config, ws map[string]*mlx.Array, opts Options) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := weights.Check(cfg.Arch(), ws); err != nil {
		return nil, fmt.Errorf("weights do not match the architecture: %w", err)
	}

	m := &Model{Config: cfg, opts: opts, used: make(map[*mlx.Array]bool)}
	b := builder{m: m, weights: ws}
	m.patchW, m.patchB = b.small("patch_embedding.weight"), b.small("patch_embedding.bias")
	m.textIn, m.textOut = b.linear("text_embedding.layers.0"), b.linear("text_embedding.layers.2")
	m.timeIn, m.timeOut = b.linear("time_embedding.layers.0"), b.linear("time_embedding.layers.2")
	m.timeProj = b.linear("time_projection.layers.1")
	m.blocks = make([]block, cfg.NumLayers)
	for k := range m.blocks {
		m.blocks[k] = b.block(fmt.Sprintf("blocks.%d", k))
	}
	m.headModulation = b.small("head.modulation")
	m.head = b.linear("head.head")
	if err := mlx.Eval(m.owned...); err != nil {
		m.Free()
		return nil, fmt.Errorf("dit: preparing weights: %w", err)
	}
	return m, nil
}

// builder picks weights by name and converts the small ones to float32.
type builder struct {
	m       *Model
	weights map[string]*mlx.Array
}

// own keeps an array New created so that it outlives the current Do.
func (b builder) own(a *mlx.Array) *mlx.Array {
	mlx.Keep(a)
	b.m.owned = append(b.m.owned, a)
	return a
}

// small returns a float32 copy of a norm weight, bias, modulation or the
// patch embedding (all tiny next to the linear layers).
func (b builder) small(name string) *mlx.Array {
	w := b.weights[name]
	if w.Dtype() == mlx.Float32 {
		b.m.used[w] = true
		return w
	}
	return b.own(mlx.AsType(w, mlx.Float32))
}

// linear returns the layer prefix.weight/prefix.bias; the weight is cast to
// the compute dtype now only with Options.CastAtLoad.
func (b builder) linear(prefix string) linear {
	w := b.weights[prefix+".weight"]
	if dt := computeDtype(b.m.opts.Compute); b.m.opts.CastAtLoad && w.Dtype() != dt {
		w = b.own(mlx.AsType(w, dt))
	} else {
		b.m.used[w] = true
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

func computeDtype(p Precision) mlx.Dtype {
	if p == BFloat16 {
		return mlx.BFloat16
	}
	return mlx.Float32
}

// ParamCount is the number of parameters of the model's architecture.
func (m *Model) ParamCount() int64 { return m.Config.ParamCount() }

// Options returns the options the model was built with.
func (m *Model) Options() Options { return m.opts }

// Free releases the arrays the model created (and, for a model from Load,
// its weights). The model must not be used afterwards.
func (m *Model) Free() {
	_ = mlx.Do(func() error {
		for _, a := range m.owned {
			a.Free()
		}
		return nil
	})
	m.owned = nil
}
