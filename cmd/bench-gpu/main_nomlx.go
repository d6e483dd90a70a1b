//go:build !mlx

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench-gpu: built without MLX; build with -tags mlx (see make bench-gpu-build)")
	os.Exit(2)
}
