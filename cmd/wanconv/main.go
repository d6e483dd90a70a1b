// Command wanconv converts a Wan2.2 PyTorch release into MLX safetensors.
// See convert.Main for flags and exit codes; --verify runs the verifier
// (package verify) on the output, with forward passes in `-tags mlx` builds.
package main

import (
	"os"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/verify"
)

func main() {
	convert.VerifyHook = func(outDir string, args []string) int {
		return verify.Main(append(append([]string(nil), args...), outDir), os.Stdout, os.Stderr)
	}
	os.Exit(convert.Main(os.Args[1:], os.Stdout, os.Stderr))
}
