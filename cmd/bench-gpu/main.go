//go:build mlx

// Command bench-gpu times the full-size Wan2.2 TI2V-5B forward passes of a
// converted directory on one MLX device (the GPU by default) and writes
// their inputs and outputs to a safetensors file, so that another
// implementation (scripts/gpu/upstream_compare.py runs the upstream PyTorch
// modules) can run the same passes on the same inputs and compare.
//
//	bench-gpu [-device gpu|cpu] [-reps 5] [-precisions bfloat16,float32]
//	          [-components dit,t5,vae] [-dump FILE] [-json FILE] CONVERTED_DIR
//
// The passes are those of make bench-verify: the DiT on a (48, 4, 32, 32)
// latent with a 512-token context, umt5-xxl on 512 tokens (300 real), the
// VAE decode of a (48, 2, 8, 8) latent and the encode of a 5×128×128 video.
// Each runs once to warm up (weights are read in, kernels compiled), then
// -reps times; the median wall time (evaluation included) and MLX's peak
// memory over the timed runs (weights included) are reported. Exit codes: 0
// success, 1 a run or the output failed, 2 usage.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/mlx"
)

// result is one component at one precision.
type result struct {
	Component string    `json:"component"`
	Precision string    `json:"precision"`
	LoadS     float64   `json:"load_s"`
	RunsS     []float64 `json:"runs_s"`
	MedianS   float64   `json:"median_s"`
	PeakBytes int64     `json:"peak_bytes"`
	Output    []int     `json:"output_shape"`
}

// hostTensor is a tensor kept on the host for the dump.
type hostTensor struct {
	f32   []float32
	i32   []int32
	shape []int
}

type bench struct {
	dir        string
	reps       int
	precisions []string
	dump       map[string]hostTensor
	meta       map[string]string
	results    []result
}

func main() {
	device := flag.String("device", "gpu", "MLX device: gpu or cpu")
	reps := flag.Int("reps", 5, "timed runs after one warm-up run")
	precisions := flag.String("precisions", "bfloat16,float32", "compute precisions, comma-separated")
	components := flag.String("components", "dit,t5,vae", "components, comma-separated")
	dumpPath := flag.String("dump", "", "write inputs and outputs to this safetensors file")
	jsonPath := flag.String("json", "", "write the results as JSON to this file")
	flag.Parse()
	if flag.NArg() != 1 || *reps < 1 {
		fmt.Fprintln(os.Stderr, "usage: bench-gpu [flags] CONVERTED_DIR")
		flag.PrintDefaults()
		os.Exit(2)
	}
	b := &bench{dir: flag.Arg(0), reps: *reps, dump: map[string]hostTensor{}, meta: map[string]string{}}
	for _, p := range strings.Split(*precisions, ",") {
		if p != "bfloat16" && p != "float32" {
			usage("unknown precision %q (want bfloat16 or float32)", p)
		}
		b.precisions = append(b.precisions, p)
	}
	run := map[string]func() error{"dit": b.runDiT, "t5": b.runT5, "vae": b.runVAE}
	var order []string
	for _, c := range strings.Split(*components, ",") {
		if run[c] == nil {
			usage("unknown component %q (want dit, t5 or vae)", c)
		}
		order = append(order, c)
	}
	dev, ok := map[string]mlx.Device{"gpu": mlx.GPU, "cpu": mlx.CPU}[*device]
	if !ok {
		usage("unknown device %q (want gpu or cpu)", *device)
	}
	if err := mlx.SetDefaultDevice(dev); err != nil {
		usage("%v", err)
	}
	if st, err := os.Stat(b.dir); err != nil || !st.IsDir() {
		usage("%s is not a converted directory", b.dir)
	}
	b.meta["device"] = *device
	for _, c := range order {
		if err := run[c](); err != nil {
			fail("%s: %v", c, err)
		}
	}
	b.print()
	if *jsonPath != "" {
		raw, err := json.MarshalIndent(b.results, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonPath, append(raw, '\n'), 0o644)
		}
		if err != nil {
			fail("%v", err)
		}
	}
	if *dumpPath != "" {
		if err := b.writeDump(*dumpPath); err != nil {
			fail("%v", err)
		}
	}
}

func usage(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench-gpu: "+format+"\n", args...)
	os.Exit(2)
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench-gpu: "+format+"\n", args...)
	os.Exit(1)
}

// add records one timed component.
func (b *bench) add(r result) {
	r.MedianS = median(r.RunsS)
	b.results = append(b.results, r)
	fmt.Fprintf(os.Stderr, "bench-gpu: %s %s: median %.4f s of %d, peak %.2f GiB, load %.1f s, output %v\n",
		r.Component, r.Precision, r.MedianS, len(r.RunsS), float64(r.PeakBytes)/(1<<30), r.LoadS, r.Output)
}

func (b *bench) print() {
	fmt.Printf("%-12s %-9s %12s %12s %10s\n", "pass", "precision", "median ms", "peak GiB", "load s")
	for _, r := range b.results {
		fmt.Printf("%-12s %-9s %12.2f %12.2f %10.1f\n", r.Component, r.Precision, r.MedianS*1e3,
			float64(r.PeakBytes)/(1<<30), r.LoadS)
	}
}

// writeDump saves every kept tensor (float32 or int32) with the metadata.
func (b *bench) writeDump(path string) error {
	if len(b.dump) == 0 {
		return errors.New("nothing to dump")
	}
	raw, err := json.Marshal(b.results)
	if err != nil {
		return err
	}
	b.meta["results"] = string(raw)
	names := make([]string, 0, len(b.dump))
	for n := range b.dump {
		names = append(names, n)
	}
	sort.Strings(names)
	return mlx.Do(func() error {
		arrays := make(map[string]*mlx.Array, len(names))
		for _, n := range names {
			t := b.dump[n]
			if t.i32 != nil {
				arrays[n] = mlx.FromInt32s(t.i32, t.shape...)
			} else {
				arrays[n] = mlx.FromFloat32s(t.f32, t.shape...)
			}
		}
		if err := mlx.SaveSafetensors(path, arrays, b.meta); err != nil {
			return fmt.Errorf("dump %s: %w", path, err)
		}
		return nil
	})
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
