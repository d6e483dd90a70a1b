package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wanconv/wanconv/cmd/internal/verifycli"
	"github.com/wanconv/wanconv/inspect"
)

// runVerifier runs the verifier for "inspect --verify DIR [flags...]"; args
// are the arguments after --verify and the result is the exit status
// (tests replace it).
var runVerifier = func(args []string) int { return verifycli.Main(args, os.Stdout, os.Stderr) }

const usage = `usage: inspect [--tensors] [--json] FILE_OR_DIR
       inspect --verify DIR [verifier flags...]

Describes a Wan2.2 checkpoint from its headers alone: a .safetensors file, a
sharded index .json, a .pth file, a release directory or a converted MLX
directory. Per component: files, tensor/parameter/byte counts, dtypes, the
inferred architecture and whether the tensor set is complete.

  --tensors  list every tensor (name, dtype, shape)
  --json     print a JSON report (schema: inspect/JSON.md)
  --verify   run the numerical verifier on a converted directory

Exit status: 0 ok, 2 unreadable, invalid or incomplete input, or bad usage.
`

// run is the inspect command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--verify" || args[0] == "-verify") {
		return runVerifier(args[1:])
	}
	var opt inspect.Options
	var asJSON bool
	var paths []string
	for i, a := range args {
		switch a {
		case "--tensors", "-tensors":
			opt.Tensors = true
		case "--json", "-json":
			asJSON = true
		case "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
			return 0
		case "--":
			paths = append(paths, args[i+1:]...)
		case "--verify", "-verify":
			return usageError(stderr, "--verify must come first: inspect --verify DIR [flags...]")
		default:
			if strings.HasPrefix(a, "-") && a != "-" {
				return usageError(stderr, fmt.Sprintf("unknown flag %s", a))
			}
			paths = append(paths, a)
			continue
		}
		if a == "--" {
			break
		}
	}
	if len(paths) != 1 {
		return usageError(stderr, fmt.Sprintf("want exactly one FILE_OR_DIR, got %d", len(paths)))
	}

	rep, err := inspect.Inspect(paths[0], opt)
	if err != nil {
		fmt.Fprintf(stderr, "inspect: %v\n", err)
		return 2
	}
	if asJSON {
		err = inspect.WriteJSON(stdout, rep)
	} else {
		err = inspect.WriteText(stdout, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "inspect: writing the report: %v\n", err)
		return 2
	}
	// Failed components, and a directory lacking a whole component, are
	// invalid or incomplete input.
	invalid := rep.Invalid()
	for _, e := range invalid {
		fmt.Fprintf(stderr, "inspect: %v\n", e)
	}
	if len(invalid) > 0 {
		return 2
	}
	return 0
}

func usageError(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "inspect: %s\n%s", msg, usage)
	return 2
}
