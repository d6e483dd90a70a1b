// Command inspect describes Wan2.2 checkpoints (release or converted) from
// their headers (package inspect does the work; this package is the command
// line: arguments, rendering, exit statuses). `inspect --verify` runs the
// verifier (cmd/internal/verifycli over package verify); forward passes
// need a build with `-tags mlx`.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
