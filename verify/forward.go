package verify

import (
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/mapping"
)

// HostTensor is a tensor in Go memory, used to hand inputs to and outputs
// from the MLX side without the pure-Go code depending on MLX.
type HostTensor struct {
	Shape []int
	F32   []float32 // float data (any float dtype is widened to float32)
	I64   []int64   // integer data (token ids, masks)
}

// forwardJob asks the MLX side to run one component.
type forwardJob struct {
	Component mapping.Component
	// Files are the component's safetensors files (a DiT's shards),
	// Checkpoint the index or single file they were found through; Config
	// is the DiT's config.json (heads and model type).
	Files      []string
	Checkpoint string
	// Open opens Files and Checkpoint: the converted directory's tree's
	// opener, so that nothing outside it is read.
	Open   safetensors.Opener
	Config []byte
	// Stream runs the DiT block-streamed (dit.LoadStreamed).
	Stream bool
	// Layout is the converted layout of the files (tensor names).
	Layout mapping.Layout
	Device string
	// Spec describes the deterministic inputs the MLX side builds.
	Spec InputSpec
	// RefInputs, when set, are upstream reference inputs to run as well,
	// with the same loaded model.
	RefInputs map[string]HostTensor
	// SeqLen is the DiT sequence length for RefInputs (0: the token count).
	SeqLen int
	// Quantized (a quantized DiT): RefInputs are run a second time with
	// the Linears dequantized (dit.Options.DequantizeLinears).
	Quantized bool
}

// forwardResult is what the MLX side returns.
type forwardResult struct {
	Outputs    map[string]HostTensor // of the deterministic inputs
	RefOutputs map[string]HostTensor // of RefInputs
	// DequantizedRefOutputs are RefInputs' outputs with the quantized
	// Linears run as dense matmuls of their dequantized weights.
	DequantizedRefOutputs map[string]HostTensor
	PeakMemory            int64
	// Spec is the input recipe actually used (defaults filled in).
	Spec InputSpec
}

// runForward is set by forward_mlx.go when the binary is built with MLX.
var runForward func(job forwardJob) (forwardResult, error)

// gpuAvailable reports whether MLX has a GPU here (set with runForward).
var gpuAvailable = func() bool { return false }

// MLXBuilt reports whether forward passes are available in this binary.
func MLXBuilt() bool { return runForward != nil }
