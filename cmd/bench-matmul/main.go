//go:build mlx

// Command bench-matmul times an n×n×n matrix product through MLX on the
// chosen device and prints the rate in GFLOP/s (2n³ operations per product):
// the figure that says whether MLX's CPU backend runs on an optimized BLAS.
//
//	bench-matmul [-n 2048] [-reps 10] [-device cpu|gpu] [-dtype float32|bfloat16]
//
// The operands are deterministic pseudo-random normals (never zeros); one
// warm-up product runs first, then the median of -reps timed products is
// reported, each evaluated on its own.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/wanconv/wanconv/internal/detrand"
	"github.com/wanconv/wanconv/mlx"
)

func main() {
	n := flag.Int("n", 2048, "matrix size")
	reps := flag.Int("reps", 10, "timed products (median reported)")
	device := flag.String("device", "cpu", "MLX device: cpu or gpu")
	dtype := flag.String("dtype", "float32", "operand dtype: float32 or bfloat16")
	flag.Parse()
	if flag.NArg() != 0 || *n <= 0 || *reps <= 0 {
		fmt.Fprintln(os.Stderr, "usage: bench-matmul [-n N] [-reps R] [-device cpu|gpu] [-dtype float32|bfloat16]")
		os.Exit(2)
	}
	dt, ok := map[string]mlx.Dtype{"float32": mlx.Float32, "bfloat16": mlx.BFloat16}[*dtype]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench-matmul: unknown dtype %q (want float32 or bfloat16)\n", *dtype)
		os.Exit(2)
	}
	dev, ok := map[string]mlx.Device{"cpu": mlx.CPU, "gpu": mlx.GPU}[*device]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench-matmul: unknown device %q (want cpu or gpu)\n", *device)
		os.Exit(2)
	}
	if err := mlx.SetDefaultDevice(dev); err != nil {
		fmt.Fprintln(os.Stderr, "bench-matmul:", err)
		os.Exit(2)
	}
	times, err := run(*n, *reps, dt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-matmul:", err)
		os.Exit(1)
	}
	med := median(times)
	flops := 2 * float64(*n) * float64(*n) * float64(*n)
	fmt.Printf("mlx %s %s %d^3 matmul: median %.3f ms of %d, %.1f GFLOP/s\n",
		*device, *dtype, *n, med*1e3, *reps, flops/med/1e9)
}

// run returns the wall time in seconds of each timed product.
func run(n, reps int, dt mlx.Dtype) ([]float64, error) {
	var times []float64
	err := mlx.Do(func() error {
		g := detrand.New(2048)
		a := mlx.AsType(mlx.FromFloat32s(g.Normals(n*n), n, n), dt)
		b := mlx.AsType(mlx.FromFloat32s(g.Normals(n*n), n, n), dt)
		if err := mlx.Eval(a, b); err != nil {
			return err
		}
		for i := -1; i < reps; i++ {
			var err error
			start := time.Now()
			mlx.Scoped(func() []*mlx.Array {
				err = mlx.Eval(mlx.Matmul(a, b))
				return nil
			})
			if err != nil {
				return err
			}
			if i >= 0 {
				times = append(times, time.Since(start).Seconds())
			}
		}
		return nil
	})
	return times, err
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
