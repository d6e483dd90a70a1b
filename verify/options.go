package verify

import (
	"errors"
	"fmt"
	"os"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// Options configures a verification.
type Options struct {
	Dir          string // converted MLX directory
	GoldenPath   string // compare with this golden file
	RecordGolden string // write a golden file from this (trusted) checkpoint
	Reference    string // upstream reference tensors (reference.safetensors)
	// Source is the upstream release the checkpoint was converted from: a
	// quantized DiT's Linears are re-quantized from it and compared byte
	// for byte ("" = no such check).
	Source     string
	Components []mapping.Component // subset of dit, t5, vae (the command line's default: all)
	JSON       bool                // print the JSON report
	Structural bool                // structural checks only (no MLX forward passes)
	Seed       uint64              // seed of the deterministic inputs when recording
	Device     string              // cpu | gpu (the command line's default: cpu)
	// RefTolerance overrides the max|err|/std(ref) tolerance (0: by weight
	// dtype, 1e-4 for float32 weights and 2e-2 otherwise).
	RefTolerance float64
	// SeqLen is the DiT sequence length for reference inputs (0: read from the
	// golden.json beside the reference file, else the token count).
	SeqLen int
	// Experts restricts an A14B directory's DiT to these experts (default
	// both).
	Experts []layout.Expert
	// StreamDiT is "on" (the DiT forward passes stream the blocks' weights:
	// read, evaluate, release, block by block), "off" (the whole DiT in
	// memory) or "auto"/"" (streamed when the DiT's files exceed
	// StreamThreshold); Validate wants one of the three words (the command
	// line's default: auto).
	StreamDiT string
}

// Validate checks the rules on and between the fields, the command line's
// after parsing: every component and expert known, at least one component,
// no contradicting or out-of-range setting. It returns the first broken
// rule, its message in the command line's terms.
func (o Options) Validate() error {
	for _, c := range o.Components {
		if !knownComponent(c) {
			return fmt.Errorf("unknown component %q (want dit, t5, vae)", c)
		}
	}
	for _, e := range o.Experts {
		if _, err := layout.ParseExpert(string(e)); err != nil {
			return fmt.Errorf("--experts: %w", err)
		}
	}
	if o.RefTolerance < 0 {
		return fmt.Errorf("--ref-tolerance must be >= 0, got %g", o.RefTolerance)
	}
	if o.SeqLen < 0 {
		return fmt.Errorf("--seq-len must be >= 0, got %d", o.SeqLen)
	}
	if o.Seed != 0 && o.GoldenPath != "" {
		return errors.New("--seed and --golden are exclusive: the golden file fixes the inputs")
	}
	if len(o.Components) == 0 {
		return errors.New("no components selected")
	}
	if o.StreamDiT != "on" && o.StreamDiT != "off" && o.StreamDiT != "auto" {
		return fmt.Errorf("--stream-dit: unknown value %q (want on, off or auto)", o.StreamDiT)
	}
	if o.Device != "cpu" && o.Device != "gpu" {
		return fmt.Errorf("unknown device %q (want cpu or gpu)", o.Device)
	}
	if o.GoldenPath != "" && o.RecordGolden != "" {
		return errors.New("--golden and --record-golden are exclusive")
	}
	return nil
}

// StreamThreshold is the DiT file size from which --stream-dit auto
// streams: an A14B expert (28.6 GB in bfloat16) streams, TI2V-5B's DiT
// (10 GB) is loaded whole.
const StreamThreshold = 16 << 30

// streamDiT decides whether a DiT of these files is streamed.
func (o Options) streamDiT(files []string) (bool, error) {
	switch o.StreamDiT {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	var total int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return false, err
		}
		total += fi.Size()
	}
	return total > StreamThreshold, nil
}
