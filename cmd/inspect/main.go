// Command inspect describes Wan2.2 checkpoints (release or converted) from
// their headers; see package inspect. `inspect --verify` runs the verifier
// (package verify); forward passes need a build with `-tags mlx`.
package main

import (
	"os"

	"github.com/wanconv/wanconv/inspect"
	"github.com/wanconv/wanconv/verify"
)

func main() {
	inspect.VerifyHook = func(args []string) int { return verify.Main(args, os.Stdout, os.Stderr) }
	os.Exit(inspect.Main(os.Args[1:], os.Stdout, os.Stderr))
}
