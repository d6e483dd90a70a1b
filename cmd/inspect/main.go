// Command inspect describes Wan2.2 checkpoints (release or converted) from
// their headers; see package inspect.
package main

import (
	"os"

	"github.com/wanconv/wanconv/inspect"
)

func main() {
	os.Exit(inspect.Main(os.Args[1:], os.Stdout, os.Stderr))
}
