//go:build mlx

package t5

import (
	"fmt"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// Model is a T5 encoder whose weights live on MLX. Its weights are detached
// from every scope (mlx.Keep) until Free.
type Model struct {
	arch        *mapping.T5Arch // validated; the model's own copy
	opts        Options         // resolved: ComputeDType is explicit
	maxDistance int             // mapping.T5MaxDistance

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

// ArchFromWeights infers the architecture from the converted weights'
// names, dtypes and shapes through package mapping, which also checks that
// the weights are exactly the architecture's set.
func ArchFromWeights(ws map[string]*mlx.Array) (*mapping.T5Arch, error) {
	a, err := weights.Infer(mapping.ComponentT5, ws, nil)
	if err != nil {
		return nil, err
	}
	return a.(*mapping.T5Arch), nil
}

// New builds the encoder from converted weights (MLX names). It reports, in
// one error, every missing, wrong-shaped, unexpected or non-floating-point
// tensor. New may be called inside or outside mlx.Do.
//
// On success the model owns the weight arrays (see the package doc): the
// caller must neither use nor free them afterwards. On error they stay the
// caller's.
func New(arch *mapping.T5Arch, ws map[string]*mlx.Array, opts Options) (*Model, error) {
	a, err := resolveArch(arch)
	if err != nil {
		return nil, err
	}
	if opts, err = opts.resolve(); err != nil {
		return nil, err
	}
	m := &Model{arch: a, opts: opts, maxDistance: mapping.T5MaxDistance}
	err = mlx.Do(func() error {
		if err := weights.Check(a, ws); err != nil {
			return err
		}
		if err := mlx.Err(); err != nil {
			return err
		}
		m.collect(ws)
		m.owned = weights.Take(ws, func(*mlx.Array) bool { return true }) // the encoder uses every weight as stored
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// collect picks the weights by name; they have been checked.
func (m *Model) collect(ws map[string]*mlx.Array) {
	m.embedding = ws[nameTokenEmbedding]
	for k := 0; k < m.arch.NumLayers; k++ {
		n := namesOfBlock(k)
		m.blocks = append(m.blocks, block{
			norm1:        ws[n.Norm1],
			norm2:        ws[n.Norm2],
			attn:         attention{q: ws[n.Q], k: ws[n.K], v: ws[n.V], o: ws[n.O]},
			ffn:          feedForward{gate: ws[n.Gate], fc1: ws[n.FC1], fc2: ws[n.FC2]},
			posEmbedding: ws[n.PosEmbedding],
		})
	}
	m.norm = ws[nameFinalNorm]
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
		arch, err := ArchFromWeights(ws)
		if err != nil {
			return err
		}
		m, err = New(arch, ws, opts)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Free releases the weights the model took. The model must not be used
// afterwards.
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

// Arch returns a copy of the model's architecture.
func (m *Model) Arch() *mapping.T5Arch { return m.arch.Clone() }

// Options returns the options the model was built with, its compute dtype
// explicit.
func (m *Model) Options() Options { return m.opts }

// ParamCount is the number of parameters.
func (m *Model) ParamCount() int64 { return tensor.ParamCount(m.arch.RequiredMLX()) }
