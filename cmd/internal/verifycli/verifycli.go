// Package verifycli is the verifier's command line, shared by
// `inspect --verify` and `wanconv --verify --verify-flags`: flag parsing
// into verify.Options, the report on stdout and the exit status. Package
// verify itself takes Options and returns a Report.
package verifycli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/verify"
)

const usage = `usage: verify [flags] CONVERTED_DIR

Verifies a converted wanconv (MLX) directory: structural checks, forward passes
on MLX with deterministic inputs, and optional comparison with upstream
reference tensors. Exit 0 pass, 1 mismatch, 2 bad input or usage.

flags:
`

// Parse parses the verifier's arguments (everything after "--verify"; the
// flags may come before or after CONVERTED_DIR) and checks the options
// (verify.Options.Validate). -h prints the usage on stderr and returns
// flag.ErrHelp.
func Parse(args []string, stderr io.Writer) (verify.Options, error) {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o verify.Options
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
	o.Components = list[mapping.Component](comps)
	o.Experts = list[layout.Expert](experts)
	return o, o.Validate()
}

// list splits a comma-separated flag value, dropping blanks and repeats
// (verify.Options.Validate checks the names).
func list[T ~string](v string) []T {
	var out []T
	for _, s := range strings.Split(v, ",") {
		if t := T(strings.TrimSpace(s)); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// Main runs the verifier's command line and returns its exit status:
// verify.ExitPass, verify.ExitMismatch, or verify.ExitBadInput for bad
// usage (the message on stderr) and bad input.
func Main(args []string, stdout, stderr io.Writer) int {
	o, err := Parse(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "verify: %v\n", err)
		}
		return verify.ExitBadInput
	}
	rep := verify.Run(o)
	if o.JSON {
		if err := rep.WriteJSON(stdout); err != nil {
			fmt.Fprintf(stderr, "verify: %v\n", err)
			return verify.ExitBadInput
		}
	} else {
		rep.WriteText(stdout)
	}
	if rep.Error != "" && o.JSON {
		fmt.Fprintf(stderr, "verify: %s\n", rep.Error)
	}
	return rep.ExitCode
}
