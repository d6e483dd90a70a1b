package t5

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/wanconv/wanconv/model/internal/weights"
)

// Fixed hyper-parameters of the upstream encoder that the weights do not
// reveal.
const (
	// DefaultEps is the RMS-norm epsilon of every T5LayerNorm.
	DefaultEps = 1e-6
	// DefaultMaxDistance is the relative distance beyond which every
	// distance shares the last bucket of its direction.
	DefaultMaxDistance = 128
)

// Config describes a T5 encoder. The JSON names of the first seven fields
// match the "t5.config" section of golden.json and the arguments of upstream
// T5Encoder.
type Config struct {
	Vocab       int     `json:"vocab"`
	Dim         int     `json:"dim"`
	DimAttn     int     `json:"dim_attn"`
	DimFFN      int     `json:"dim_ffn"`
	NumHeads    int     `json:"num_heads"`
	NumLayers   int     `json:"num_layers"`
	NumBuckets  int     `json:"num_buckets"`
	MaxDistance int     `json:"max_distance"`
	Eps         float64 `json:"eps"`
}

// UMT5XXL is the configuration of the umt5-xxl encoder shipped with Wan2.2.
func UMT5XXL() Config {
	return Config{Vocab: 256384, Dim: 4096, DimAttn: 4096, DimFFN: 10240, NumHeads: 64,
		NumLayers: 24, NumBuckets: 32, MaxDistance: DefaultMaxDistance, Eps: DefaultEps}
}

// HeadDim is DimAttn / NumHeads.
func (c Config) HeadDim() int {
	if c.NumHeads == 0 {
		return 0
	}
	return c.DimAttn / c.NumHeads
}

// Validate reports every inconsistency of c at once.
func (c Config) Validate() error {
	var errs []error
	positive := []struct {
		name string
		v    int
	}{{"vocab", c.Vocab}, {"dim", c.Dim}, {"dim_attn", c.DimAttn}, {"dim_ffn", c.DimFFN},
		{"num_heads", c.NumHeads}, {"num_layers", c.NumLayers}, {"num_buckets", c.NumBuckets},
		{"max_distance", c.MaxDistance}}
	for _, p := range positive {
		if p.v <= 0 {
			errs = append(errs, fmt.Errorf("%s = %d, want > 0", p.name, p.v))
		}
	}
	if c.NumHeads > 0 && c.DimAttn%c.NumHeads != 0 {
		errs = append(errs, fmt.Errorf("dim_attn %d is not divisible by num_heads %d", c.DimAttn, c.NumHeads))
	}
	// Bidirectional buckets: half per direction, half of those exact.
	if c.NumBuckets > 0 && (c.NumBuckets%2 != 0 || c.NumBuckets < 4) {
		errs = append(errs, fmt.Errorf("num_buckets = %d, want an even number >= 4", c.NumBuckets))
	} else if c.NumBuckets > 0 && c.MaxDistance > 0 && c.MaxDistance <= c.NumBuckets/4 {
		errs = append(errs, fmt.Errorf("max_distance %d must exceed the exact range %d", c.MaxDistance, c.NumBuckets/4))
	}
	if !(c.Eps > 0) {
		errs = append(errs, fmt.Errorf("eps = %g, want > 0", c.Eps))
	}
	if len(errs) > 0 {
		return fmt.Errorf("t5: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

var blockIndexPattern = regexp.MustCompile(`^blocks\.(\d+)\.`)

// ConfigFromShapes infers the architecture from converted tensor names and
// shapes: vocab and dim from token_embedding.weight, dim_attn from block 0's
// q projection, dim_ffn from its fc1, num_buckets and num_heads from its
// relative position table [num_buckets, num_heads], and num_layers from the
// block indices, which must run 0..N-1 without gaps. Eps and MaxDistance take
// the upstream defaults. Whether every tensor is present with the right shape
// is checked by CheckShapes (New calls both).
func ConfigFromShapes(shapes map[string][]int) (Config, error) {
	var errs []error
	dims := func(name string, rank int) []int {
		s, err := weights.WithRank(shapes, name, rank)
		if err != nil {
			errs = append(errs, err)
		}
		return s
	}
	cfg := Config{MaxDistance: DefaultMaxDistance, Eps: DefaultEps}
	if s := dims(nameTokenEmbedding, 2); s != nil {
		cfg.Vocab, cfg.Dim = s[0], s[1]
	}
	if _, shared := shapes["pos_embedding.embedding.weight"]; shared {
		errs = append(errs, errors.New("a shared relative position table (shared_pos=True) is not supported; umt5 has one per block"))
	}
	b0 := namesOfBlock(0)
	if s := dims(b0.Q, 2); s != nil {
		cfg.DimAttn = s[0]
	}
	if s := dims(b0.FC1, 2); s != nil {
		cfg.DimFFN = s[0]
	}
	if s := dims(b0.PosEmbedding, 2); s != nil {
		cfg.NumBuckets, cfg.NumHeads = s[0], s[1]
	}
	n, err := countBlocks(shapes)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.NumLayers = n
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("t5: cannot infer the architecture: %w", errors.Join(errs...))
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// countBlocks returns N when the block indices present are exactly 0..N-1.
func countBlocks(shapes map[string][]int) (int, error) {
	seen := map[int]bool{}
	for name := range shapes {
		m := blockIndexPattern.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		k, err := strconv.Atoi(m[1])
		if err != nil || (len(m[1]) > 1 && m[1][0] == '0') {
			return 0, fmt.Errorf("tensor %s has a malformed block index", name)
		}
		seen[k] = true
	}
	if len(seen) == 0 {
		return 0, errors.New("no blocks.K.* tensors")
	}
	var missing []string
	for k := 0; k < len(seen); k++ {
		if !seen[k] {
			missing = append(missing, strconv.Itoa(k))
		}
	}
	if len(missing) > 0 {
		return 0, fmt.Errorf("block indices are not contiguous from 0 (missing %s)", strings.Join(missing, ", "))
	}
	return len(seen), nil
}

// TensorSpec is the name and shape of one weight tensor.
type TensorSpec = weights.Spec

// RequiredTensors lists every converted tensor the encoder needs, in a fixed
// order (embedding, blocks, final norm).
func (c Config) RequiredTensors() []TensorSpec {
	specs := []TensorSpec{{Name: nameTokenEmbedding, Shape: []int{c.Vocab, c.Dim}}}
	for k := 0; k < c.NumLayers; k++ {
		n := namesOfBlock(k)
		specs = append(specs,
			TensorSpec{Name: n.Norm1, Shape: []int{c.Dim}},
			TensorSpec{Name: n.Q, Shape: []int{c.DimAttn, c.Dim}},
			TensorSpec{Name: n.K, Shape: []int{c.DimAttn, c.Dim}},
			TensorSpec{Name: n.V, Shape: []int{c.DimAttn, c.Dim}},
			TensorSpec{Name: n.O, Shape: []int{c.Dim, c.DimAttn}},
			TensorSpec{Name: n.Norm2, Shape: []int{c.Dim}},
			TensorSpec{Name: n.Gate, Shape: []int{c.DimFFN, c.Dim}},
			TensorSpec{Name: n.FC1, Shape: []int{c.DimFFN, c.Dim}},
			TensorSpec{Name: n.FC2, Shape: []int{c.Dim, c.DimFFN}},
			TensorSpec{Name: n.PosEmbedding, Shape: []int{c.NumBuckets, c.NumHeads}},
		)
	}
	return append(specs, TensorSpec{Name: nameFinalNorm, Shape: []int{c.Dim}})
}

// ParamCount is the number of parameters of the encoder.
func (c Config) ParamCount() int64 { return weights.ParamCount(c.RequiredTensors()) }

// CheckShapes compares the tensors present (name → shape) with
// RequiredTensors and reports, in one error, every missing tensor, every
// tensor with a wrong shape and every unexpected tensor.
func (c Config) CheckShapes(shapes map[string][]int) error {
	problems := weights.CheckMap(c.RequiredTensors(), shapes)
	if len(problems) > 0 {
		return fmt.Errorf("t5: %d weight problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}
