package verify

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

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
	Components []mapping.Component // subset of dit, t5, vae (default all)
	JSON       bool                // print the JSON report
	Structural bool                // structural checks only (no MLX forward passes)
	Seed       uint64              // seed of the deterministic inputs when recording
	Device     string              // cpu | gpu
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
	// StreamThreshold).
	StreamDiT string
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

const usage = `usage: verify [flags] CONVERTED_DIR

Verifies a converted wanconv (MLX) directory: structural checks, forward passes
on MLX with deterministic inputs, and optional comparison with upstream
reference tensors. Exit 0 pass, 1 mismatch, 2 bad input or usage.

flags:
`

// ParseArgs parses command-line arguments (everything after "--verify").
func ParseArgs(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	var comps string
	fs.StringVar(&o.GoldenPath, "golden", "", "compare with this golden `file`")
	fs.StringVar(&o.RecordGolden, "record-golden", "", "record a golden `file` from this trusted checkpoint")
	fs.StringVar(&o.Reference, "reference", "", "upstream reference tensors (`reference.safetensors`)")
	fs.StringVar(&o.Source, "source", "", "the upstream release `dir` the checkpoint came from: re-quantize a quantized DiT's Linears from it and compare byte for byte")
	fs.StringVar(&comps, "components", "dit,t5,vae", "comma-separated components to verify")
	var experts string
	fs.StringVar(&experts, "experts", "", "an A14B directory's experts to verify, comma-separated (default both: high_noise_model,low_noise_model)")
	fs.BoolVar(&o.JSON, "json", false, "print the JSON report")
	fs.BoolVar(&o.Structural, "structural-only", false, "skip MLX forward passes")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed of the deterministic inputs when recording a golden file")
	fs.StringVar(&o.Device, "device", "cpu", "MLX device: cpu or gpu")
	fs.Float64Var(&o.RefTolerance, "ref-tolerance", 0, "max|err|/std(ref) tolerance (0: 1e-4 for float32 weights; 16-bit weights 2e-2, VAE 1e-1)")
	fs.IntVar(&o.SeqLen, "seq-len", 0, "DiT sequence length for reference inputs (0: from golden.json beside the reference)")
	fs.StringVar(&o.StreamDiT, "stream-dit", "auto", "stream the DiT's blocks through its forward passes: on, off, or auto (when its files exceed 16 GiB)")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	// Flags may come before or after the directory.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return o, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		fs.Usage()
		return o, fmt.Errorf("expected exactly one CONVERTED_DIR, got %d", len(pos))
	}
	o.Dir = pos[0]
	for _, s := range strings.Split(comps, ",") {
		c := mapping.Component(strings.TrimSpace(s))
		if c == "" || slices.Contains(o.Components, c) {
			continue
		}
		if !knownComponent(c) {
			return o, fmt.Errorf("unknown component %q (want dit, t5, vae)", c)
		}
		o.Components = append(o.Components, c)
	}
	for _, s := range strings.Split(experts, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		e, err := layout.ParseExpert(s)
		if err != nil {
			return o, fmt.Errorf("--experts: %w", err)
		}
		if !slices.Contains(o.Experts, e) {
			o.Experts = append(o.Experts, e)
		}
	}
	if o.RefTolerance < 0 {
		return o, fmt.Errorf("--ref-tolerance must be >= 0, got %g", o.RefTolerance)
	}
	if o.SeqLen < 0 {
		return o, fmt.Errorf("--seq-len must be >= 0, got %d", o.SeqLen)
	}
	if o.Seed != 0 && o.GoldenPath != "" {
		return o, errors.New("--seed and --golden are exclusive: the golden file fixes the inputs")
	}
	if len(o.Components) == 0 {
		return o, errors.New("no components selected")
	}
	if o.StreamDiT != "on" && o.StreamDiT != "off" && o.StreamDiT != "auto" {
		return o, fmt.Errorf("--stream-dit: unknown value %q (want on, off or auto)", o.StreamDiT)
	}
	if o.Device != "cpu" && o.Device != "gpu" {
		return o, fmt.Errorf("unknown device %q (want cpu or gpu)", o.Device)
	}
	if o.GoldenPath != "" && o.RecordGolden != "" {
		return o, errors.New("--golden and --record-golden are exclusive")
	}
	return o, nil
}

// Main is the verifier's command-line entry point (`inspect --verify` and
// `wanconv --verify` call it). It returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	o, err := ParseArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "verify: %v\n", err)
		}
		return ExitBadInput
	}
	rep := Run(o)
	if o.JSON {
		if err := rep.WriteJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "verify: %v\n", err)
			return ExitBadInput
		}
	} else {
		rep.WriteText(stdout)
	}
	if rep.Error != "" && o.JSON {
		fmt.Fprintf(stderr, "verify: %s\n", rep.Error)
	}
	return rep.ExitCode
}
