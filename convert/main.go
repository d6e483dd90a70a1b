package convert

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// VerifyHook, when set, runs after a successful conversion if --verify is
// given: it receives the output directory and the verifier flags given
// with --verify-flags, and returns the exit status. With a nil hook --verify is rejected.
var VerifyHook func(outDir string, args []string) int

const usageText = `usage: wanconv [flags] PYTORCH_DIR OUT_DIR

Converts a Wan2.2 TI2V release (DiT safetensors, umt5-xxl T5 .pth, VAE .pth)
into MLX safetensors in OUT_DIR. Flags may come before or after the
directories.

Exit status: 0 success, 1 I/O failure, 2 bad usage or bad checkpoint,
130 interrupted. No partial output is ever left in OUT_DIR.

flags:
`

// Main is the wanconv command; cmd/wanconv only calls it. It handles SIGINT
// and SIGTERM by cancelling the conversion (temporary files are removed).
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal a second one kills the process outright:
		// a kill at any instant is recovered by the next run.
		<-ctx.Done()
		stop()
	}()
	return run(ctx, args, stdout, stderr)
}

// cliFlags are the parsed command-line flags.
type cliFlags struct {
	opt        Options
	verify     bool
	verifyArgs []string // verifier flags from --verify-flags
}

func parseArgs(args []string, stderr io.Writer) (*cliFlags, error) {
	fs := flag.NewFlagSet("wanconv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	c := &cliFlags{opt: Options{ComponentDType: map[string]string{}}}
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
	if c.verify && VerifyHook == nil {
		return nil, usageErrorf("--verify is not available in this build (no verifier linked)")
	}
	return c, nil
}

// run is Main with an explicit context (tests cancel it).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "wanconv: %v\n", err)
		return ExitBadInput
	}
	if !c.opt.Quiet {
		c.opt.Progress = stderr
		if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			c.opt.ProgressBar = true
		}
	}
	sum, err := Convert(ctx, c.opt)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "wanconv: interrupted; no output written")
		} else {
			fmt.Fprintf(stderr, "wanconv: %v\n", err)
		}
		return ExitCode(err)
	}
	for _, w := range sum.Warnings {
		fmt.Fprintf(stderr, "wanconv: warning: %s\n", w)
	}
	if !c.opt.Quiet {
		fmt.Fprintln(stdout, sum.summaryLine())
	}
	if c.verify {
		return VerifyHook(c.opt.OutDir, c.verifyArgs)
	}
	return ExitOK
}

// parseSize reads "5GB", "500MiB", "123" (bytes).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	if v*float64(mult) < 1 {
		// int64(0.5) would be 0, which Options reads as "the default"
		return 0, fmt.Errorf("invalid size %q: less than one byte", s)
	}
	return int64(v * float64(mult)), nil
}
