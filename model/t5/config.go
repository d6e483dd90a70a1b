package t5

import (
	"errors"
	"fmt"
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
