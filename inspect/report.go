package inspect

import (
	"encoding/json"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// Version is the version of the JSON report schema (JSON.md). It changes
// when a field is removed or changes meaning; added fields keep it.
const Version = 1

// Input kinds of a Report.
const (
	InputRelease     = layout.KindRelease   // upstream Wan2.2 release directory
	InputConverted   = layout.KindConverted // wanconv MLX output directory
	InputMixed       = layout.KindMixed     // a directory holding files of both layouts
	InputSafetensors = "safetensors"        // one .safetensors file
	InputIndex       = "index"              // one sharded-safetensors index .json
	InputPth         = "pth"                // one PyTorch .pth file
)

// Check results of a ComponentReport.
const (
	CheckPassed  = "passed"  // exactly the tensors the inferred architecture requires
	CheckFailed  = "failed"  // see Problems
	CheckSkipped = "skipped" // a single shard: the component is spread over several files
	// CheckUnrecognised: with --tensors, a checkpoint whose tensors belong to
	// no Wan2.2 component is listed without a Wan2.2 summary.
	CheckUnrecognised = "unrecognised"
)

// Report describes one inspected path.
type Report struct {
	Version int    `json:"version"`
	Path    string `json:"path"`
	Input   string `json:"input"`
	// Release is the release kind of a directory (ti2v-5B, t2v-A14B,
	// i2v-A14B); absent when its files do not tell.
	Release           mapping.ReleaseKind `json:"release,omitempty"`
	Components        []*ComponentReport  `json:"components"`
	MissingComponents []mapping.Component `json:"missing_components"`
}

// ComponentReport describes one component (or one shard of it).
type ComponentReport struct {
	Component mapping.Component `json:"component"`
	// Expert is the A14B expert of a DiT (high_noise_model or
	// low_noise_model); absent for a single model.
	Expert string         `json:"expert,omitempty"`
	Naming mapping.Naming `json:"naming"`
	// Layout is the converted layout of MLX-named tensors ("" otherwise).
	Layout mapping.Layout `json:"layout,omitempty"`
	Format string         `json:"format"` // "safetensors", "pth-zip" or "pth-legacy"
	// Index is the sharded index file, nil when the tensors are in one file.
	Index *string `json:"index"`
	// Files hold the tensors (the shards, for an index), sorted.
	Files []string `json:"files"`
	// Config is the config.json used for the DiT architecture, nil if none.
	Config      *string                    `json:"config"`
	Metadata    map[string]json.RawMessage `json:"metadata"`
	TensorCount int                        `json:"tensor_count"`
	ParamCount  int64                      `json:"param_count"`
	Bytes       int64                      `json:"bytes"`
	// Quantization is set for a quantized DiT (MLX names); ParamCount is
	// then that of the dense weights its Linears stand for.
	Quantization *Quantization `json:"quantization,omitempty"`
	// DTypes counts tensors per dtype ("float32", "bfloat16", ...).
	DTypes map[string]int `json:"dtypes"`
	// Architecture is the inferred *DiTArch, *T5Arch or *VAEArch; nil when
	// inference failed or was skipped.
	Architecture mapping.Arch      `json:"architecture"`
	Check        string            `json:"check"`
	Problems     []mapping.Problem `json:"problems"`
	// Tensors is filled with --tensors only.
	Tensors []TensorEntry `json:"tensors,omitempty"`
}

// Quantization describes a quantized DiT.
type Quantization struct {
	Bits      int `json:"bits"`
	GroupSize int `json:"group_size"`
	Linears   int `json:"linears"` // quantized Linears
}

// TensorEntry is one tensor as stored.
type TensorEntry struct {
	Name  string  `json:"name"`
	DType string  `json:"dtype"`
	Shape []int64 `json:"shape"`
}

// Failed reports whether any component failed its check.
func (r *Report) Failed() bool {
	for _, c := range r.Components {
		if c.Check == CheckFailed {
			return true
		}
	}
	return false
}
