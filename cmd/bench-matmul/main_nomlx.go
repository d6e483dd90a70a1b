//go:build !mlx

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "bench-matmul: built without MLX; build with -tags mlx (make bench-matmul)")
	os.Exit(2)
}
