package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/wanconv/wanconv/cmd/internal/verifycli"
	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/internal/units"
)

// Exit statuses of the command.
const (
	exitOK          = 0
	exitFailure     = 1   // I/O or internal failure (disk full, rename failed, ...)
	exitBadInput    = 2   // bad usage or a bad checkpoint
	exitInterrupted = 130 // SIGINT/SIGTERM
)

// exitCode maps a convert.Convert error to the exit status.
func exitCode(err error) int {
	var ie *convert.InputError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ie):
		return exitBadInput
	default:
		return exitFailure
	}
}

// runVerifier runs the verifier on a converted directory with the flags
// given in --verify-flags and returns its exit status (tests replace it).
var runVerifier = func(outDir string, args []string) int {
	return verifycli.Main(append(append([]string(nil), args...), outDir), os.Stdout, os.Stderr)
}

const usageText = `usage: wanconv [flags] PYTORCH_DIR OUT_DIR

Converts a Wan2.2 release (DiT safetensors, umt5-xxl T5 .pth, VAE .pth) into
MLX safetensors in OUT_DIR: TI2V-5B, or T2V-A14B / I2V-A14B with their two
experts (high_noise_model/, low_noise_model/) and the Wan2.1 VAE. Flags may
come before or after the directories.

Exit status: 0 success, 1 I/O failure, 2 bad usage or bad checkpoint,
130 interrupted. No partial output is ever left in OUT_DIR.

flags:
`

// cliFlags are the parsed command-line flags.
type cliFlags struct {
	opt        convert.Options
	verify     bool
	verifyArgs []string // verifier flags from --verify-flags
}

// usageErrorf is a usage error: exit status 2, like a bad checkpoint.
func usageErrorf(format string, args ...any) error {
	return &convert.InputError{Err: fmt.Errorf(format, args...)}
}

func parseArgs(args []string, stderr io.Writer) (*cliFlags, error) {
	fs := flag.NewFlagSet("wanconv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	c := &cliFlags{opt: convert.Options{ComponentDType: map[string]string{}}}
	fs.StringVar(&c.opt.DType, "dtype", "", "output dtype of float tensors for every component: keep, bfloat16, float16 or float32\n(default: bfloat16 for the DiT and T5, float32 for the VAE)")
	overrides := map[string]*string{}
	for _, comp := range []string{"dit", "t5", "vae"} {
		overrides[comp] = fs.String(comp+"-dtype", "", "override --dtype for the "+strings.ToUpper(comp)+" component")
	}
	fs.StringVar(&c.opt.Layout, "layout", "wanconv", "converted layout: wanconv (this project's tree) or mlx-video (what Blaizzy/mlx-video loads)")
	fs.IntVar(&c.opt.Quantize, "quantize", 0, "store the DiT's attention and FFN Linear weights MLX-quantized with 4 or 8 bits (0: dense)")
	fs.IntVar(&c.opt.GroupSize, "group-size", 0, "quantization group size with --quantize: 32, 64 or 128 (default 64)")
	shard := fs.String("max-shard-size", "5GB", "largest DiT output file (bytes, or with kB/MB/GB/KiB/MiB/GiB)")
	fs.BoolVar(&c.opt.Force, "force", false, "replace the outputs an earlier wanconv run wrote into OUT_DIR (exactly the files its manifest lists)")
	fs.BoolVar(&c.opt.Quiet, "quiet", false, "no progress output and no summary")
	fs.BoolVar(&c.verify, "verify", false, "verify the converted directory afterwards")
	verifyFlags := fs.String("verify-flags", "", "verifier flags for --verify, space-separated (e.g. \"--golden g.json --json\")")
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 2 {
		fs.Usage()
		return nil, usageErrorf("expected PYTORCH_DIR and OUT_DIR, got %d argument(s)", len(pos))
	}
	c.opt.SrcDir, c.opt.OutDir = pos[0], pos[1]
	for comp, v := range overrides {
		if *v != "" {
			c.opt.ComponentDType[comp] = *v
		}
	}
	n, err := parseSize(*shard)
	if err != nil {
		return nil, usageErrorf("--max-shard-size: %v", err)
	}
	c.opt.MaxShardSize = n
	c.verifyArgs = strings.Fields(*verifyFlags)
	if len(c.verifyArgs) > 0 && !c.verify {
		return nil, usageErrorf("--verify-flags needs --verify")
	}
	return c, nil
}

// run is the command with an explicit context (cancelled on SIGINT and
// SIGTERM by wanconv; tests cancel it themselves).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "wanconv: %v\n", err)
		return exitBadInput
	}
	if !c.opt.Quiet {
		c.opt.Progress = stderr
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			c.opt.ProgressBar = true
		}
	}
	sum, err := convert.Convert(ctx, c.opt)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "wanconv: interrupted; no output written")
		} else {
			fmt.Fprintf(stderr, "wanconv: %v\n", err)
		}
		return exitCode(err)
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(stderr, "wanconv: warning: %s\n", w)
	}
	if !c.opt.Quiet {
		fmt.Fprintln(stdout, summaryLine(sum))
	}
	if c.verify {
		return runVerifier(c.opt.OutDir, c.verifyArgs)
	}
	return exitOK
}

// summaryLine is the one-line report of a finished conversion.
func summaryLine(s *convert.Summary) string {
	return fmt.Sprintf("wanconv: %d files, %d tensors, %d parameters, %s in %.1f s → %s",
		s.Files, s.Tensors, s.Params, units.Bytes(s.Bytes), s.Seconds, s.OutDir)
}
