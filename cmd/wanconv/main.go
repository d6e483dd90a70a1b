// Command wanconv converts a Wan2.2 PyTorch release into MLX safetensors.
// See convert.Main for flags and exit codes.
package main

import (
	"os"

	"github.com/wanconv/wanconv/convert"
)

func main() {
	os.Exit(convert.Main(os.Args[1:], os.Stdout, os.Stderr))
}
