//go:build mlx

package t5

import (
	"fmt"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
)

// Model is a T5 encoder whose weights live on MLX. Its weights are detached
// from every scope (mlx.Keep) until Free.
type Model struct {
	Config  Config
	Options Options

	embedding *mlx.Array // [vocab, dim]
	blocks    []block
	norm      *mlx.Array // [dim]
	owned     []*mlx.Array
}

// block is one T5SelfAttention layer with its own relative position table.
type block struct {
	norm1, norm2 *mlx.Array // [dim]
	attn         attention
	ffn          feedForward
	posEmbedding *mlx.Array // [num_buckets, num_heads]
}

type attention struct {
	q, k, v *mlx.Array // [dim_attn, dim]
	o       *mlx.Array // [dim, dim_attn]
}

type feedForward struct {
	gate, fc1 *mlx.Array // [dim_ffn, dim]
	fc2       *mlx.Array // [dim, dim_ffn]
}

// ConfigFromWeights infers the architecture from the converted weights'
// names, dtypes and shapes through package mapping, which also checks that
// the weights are exactly the architecture's set; see ConfigFromArch.
func ConfigFromWeights(ws map[string]*mlx.Array) (Config, error) {
	return weights.Infer(mapping.ComponentT5, ws, ConfigFromTensors)
}

// New builds the encoder from converted weights (MLX names). It reports, in
// one error, every missing, wrong-shaped, unexpected or non-floating-point
// tensor. The weights it uses are detached from the caller's scope
// (mlx.Keep) and released by Free. New may be called inside or outside
// mlx.Do.
func New(cfg Config, ws map[string]*mlx.Array, opts Options) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Matmul != MatmulFloat32 && opts.Matmul != MatmulWeightDType {
		return nil, fmt.Errorf("t5: unknown matmul precision %d", int(opts.Matmul))
	}
	m := &Model{Config: cfg, Options: opts}
	err := mlx.Do(func() error {
		if err := weights.Check(cfg.Arch(), ws); err != nil {
			return err
		}
		m.collect(ws)
		mlx.Keep(m.owned...)
		return mlx.Err()
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// collect picks the weights by name; they have been checked.
func (m *Model) collect(ws map[string]*mlx.Array) {
	take := func(name string) *mlx.Array {
		a := ws[name]
		m.owned = append(m.owned, a)
		return a
	}
	m.embedding = take(nameTokenEmbedding)
	for k := 0; k < m.Config.NumLayers; k++ {
		n := namesOfBlock(k)
		m.blocks = append(m.blocks, block{
			norm1:        take(n.Norm1),
			norm2:        take(n.Norm2),
			attn:         attention{q: take(n.Q), k: take(n.K), v: take(n.V), o: take(n.O)},
			ffn:          feedForward{gate: take(n.Gate), fc1: take(n.FC1), fc2: take(n.FC2)},
			posEmbedding: take(n.PosEmbedding),
		})
	}
	m.norm = take(nameFinalNorm)
}

// Load reads the encoder from a converted safetensors file (package layout
// finds it in a directory), infers its architecture and builds it with New.
// Errors name the file.
func Load(path string, opts Options) (*Model, error) {
	var m *Model
	err := mlx.Do(func() error {
		ws, _, err := mlx.LoadSafetensors(path)
		if err != nil {
			return err
		}
		cfg, err := ConfigFromWeights(ws)
		if err != nil {
			return err
		}
		m, err = New(cfg, ws, opts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Free releases the weights. The model must not be used afterwards.
func (m *Model) Free() {
	if m == nil || len(m.owned) == 0 {
		return
	}
	owned := m.owned
	m.owned = nil
	_ = mlx.Do(func() error {
		for _, a := range owned {
			a.Free()
		}
		return nil
	})
}

// WeightDType is the dtype the token embedding is stored in (the converter
// writes one dtype per component).
func (m *Model) WeightDType() mlx.Dtype { return m.embedding.Dtype() }

// ParamCount is the number of parameters.
func (m *Model) ParamCount() int64 { return m.Config.ParamCount() }
