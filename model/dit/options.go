package dit

import "fmt"

// Precision selects the dtype the matrix multiplications and attention run
// in. Norms, softmax statistics, modulation, RoPE, the time embedding and the
// residual stream always stay float32.
type Precision int

const (
	// Float32 (default) runs every matmul in float32. Weights stored in a
	// narrower dtype are widened inside each forward pass, one block at a
	// time, so memory stays close to the stored size.
	Float32 Precision = iota
	// BFloat16 runs matmuls and attention in bfloat16 with float32 results
	// carried in the residual stream: half the weight traffic, less accurate.
	BFloat16
)

// String names the precision like a dtype.
func (p Precision) String() string {
	switch p {
	case Float32:
		return "float32"
	case BFloat16:
		return "bfloat16"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// ParsePrecision accepts "float32"/"f32" and "bfloat16"/"bf16".
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "", "float32", "f32":
		return Float32, nil
	case "bfloat16", "bf16":
		return BFloat16, nil
	}
	return 0, fmt.Errorf("dit: unknown precision %q (want float32 or bfloat16)", s)
}

// Options tune how a Model holds and uses its weights.
type Options struct {
	// Compute is the matmul precision (default Float32).
	Compute Precision
	// CastAtLoad converts the linear and conv weights to the compute dtype
	// once in New instead of in every forward pass. With bfloat16 weights and
	// Float32 compute this doubles weight memory (the 5B model needs ~20 GB);
	// it saves the per-forward conversion.
	CastAtLoad bool
}

func (o Options) validate() error {
	if o.Compute != Float32 && o.Compute != BFloat16 {
		return fmt.Errorf("dit: unsupported compute precision %v", o.Compute)
	}
	return nil
}
