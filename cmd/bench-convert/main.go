// Command bench-convert measures the converter on a full-size synthetic
// Wan2.2 TI2V-5B release (or, with -a14b t2v|i2v, a T2V/I2V-A14B one: two
// experts, the T5 and the Wan2.1 VAE): it writes the release (filled with pseudo-random
// data; reused when an identical one is already there), then measures in
// turn, -pairs times, a cat-equivalent copy of the same input bytes to the
// same disk and a conversion by the wanconv binary in a child process. It
// reports the medians of wall times, CPU seconds and per-pair throughput
// ratios, and the children's peak RSS against the memory budget (1 GiB +
// the largest transformed tensor). -quantize 4 (or 8) measures a quantized
// conversion.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/wanconv/wanconv/internal/synth"
	"github.com/wanconv/wanconv/tensor"
)

var wanconvBin = flag.String("wanconv", "bin/wanconv", "the wanconv binary measured (built by make bench-convert)")

func main() { os.Exit(run()) }

type config struct {
	Inventory string `json:"inventory"`
	Scale     int    `json:"scale"`
	Seed      uint64 `json:"seed"`
	A14B      string `json:"a14b,omitempty"`
}

func run() int {
	release := flag.String("release", "tmp/bench-release", "synthetic release directory (reused when complete and identical)")
	out := flag.String("out", "tmp/bench-out", "conversion output directory (removed afterwards unless -keep)")
	invPath := flag.String("inventory", "golden/wan2.2-ti2v-5b.inventory.json", "tensor inventory of the release")
	scale := flag.Int("scale", 0, "keep only the first N DiT/T5 blocks (0 = full size, ~34 GB)")
	seed := flag.Uint64("seed", 1, "data seed")
	dtype := flag.String("dtype", "bfloat16", "conversion --dtype")
	keep := flag.Bool("keep", false, "keep the converted output")
	pairs := flag.Int("pairs", 3, "copy/convert pairs measured in turn (medians are reported)")
	flags := flag.String("flags", "", "extra converter flags, space-separated (e.g. \"--layout mlx-video\")")
	quantize := flag.Int("quantize", 0, "convert with --quantize N (4 or 8; 0: dense)")
	drop := flag.Bool("drop-caches", true, "drop the page cache before each measurement (needs root; skipped otherwise)")
	a14b := flag.String("a14b", "", "t2v or i2v: an A14B release (two experts of -a14b-inventory, the T5 of -inventory, the Wan2.1 VAE; ~126 GB at full size)")
	a14bPath := flag.String("a14b-inventory", "golden/wan2.2-a14b.inventory.json", "tensor inventory of the A14B experts and the Wan2.1 VAE")
	flag.Parse()

	inv, err := synth.LoadInventory(*invPath)
	if err != nil {
		return fail(err)
	}
	cfg := config{Inventory: filepath.Base(*invPath), Scale: *scale, Seed: *seed, A14B: *a14b}
	var a14bInv *synth.A14BInventory
	if *a14b != "" {
		ai, err := synth.LoadA14BInventory(*a14bPath)
		if err != nil {
			return fail(err)
		}
		a14bInv = &ai
		// The DiT and VAE the budget looks at are the expert's and Wan2.1's.
		inv.DiT, inv.VAE = ai.T2V, ai.VAE21
		if *a14b == "i2v" {
			inv.DiT = ai.I2V
		}
	}
	if err := ensureRelease(*release, inv, a14bInv, cfg); err != nil {
		return fail(err)
	}
	files, total, err := inputFiles(*release)
	if err != nil {
		return fail(err)
	}
	fmt.Printf("input: %d files, %.2f GB in %s\n", len(files), float64(total)/1e9, *release)

	var extra []string
	if *flags != "" {
		extra = strings.Fields(*flags)
	}
	if *quantize != 0 {
		extra = append(extra, "--quantize", fmt.Sprint(*quantize))
	}
	var ratios, copies, convs, cpus []float64
	var maxRSS, outBytes int64
	dropped := false
	for i := 1; i <= *pairs; i++ {
		dropped = *drop && dropCaches()
		copySecs, err := copyBaseline(files, filepath.Join(filepath.Dir(filepath.Clean(*out)), ".bench-copy-scratch"))
		if err != nil {
			return fail(err)
		}
		if *drop {
			dropCaches()
		}
		r, err := convertChild(*release, *out, *dtype, extra)
		if err != nil {
			return fail(err)
		}
		outBytes = dirSize(*out)
		if !*keep || i < *pairs {
			os.RemoveAll(*out)
		}
		ratio := copySecs / r.wall // conversion rate / copy rate, same input bytes
		fmt.Printf("pair %d: copy %.1f s, convert %.1f s (CPU %.1f s), ratio %.3f, peak RSS %.0f MiB\n",
			i, copySecs, r.wall, r.cpu, ratio, float64(r.rss)/(1<<20))
		ratios, copies, convs, cpus = append(ratios, ratio), append(copies, copySecs), append(convs, r.wall), append(cpus, r.cpu)
		maxRSS = max(maxRSS, r.rss)
	}
	largest := largestTransformed(inv, *scale, *dtype)
	budget := int64(1<<30) + largest
	goal := 0.8
	if *dtype == "keep" && len(extra) == 0 {
		goal = 0.9
	}
	ratio := median(ratios)
	fmt.Printf("page cache dropped before each step: %v\n", dropped)
	fmt.Printf("medians over %d pairs in turn:\n", *pairs)
	fmt.Printf("copy (cat-equivalent, fsync): %.1f s, %.0f MB/s\n", median(copies), float64(total)/median(copies)/1e6)
	fmt.Printf("convert (--dtype %s %s):     %.1f s, %.0f MB/s of input, CPU %.1f s, %.2f GB written\n",
		*dtype, strings.Join(extra, " "), median(convs), float64(total)/median(convs)/1e6, median(cpus), float64(outBytes)/1e9)
	fmt.Printf("ratio convert/copy (median of per-pair ratios): %.3f (goal >= %.2f: %s)\n", ratio, goal, verdict(ratio >= goal))
	fmt.Printf("peak RSS (max over pairs): %.0f MiB; budget 1 GiB + largest transformed tensor %.0f MiB = %.0f MiB (%s)\n",
		float64(maxRSS)/(1<<20), float64(largest)/(1<<20), float64(budget)/(1<<20), verdict(maxRSS <= budget))
	return 0
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "bench-convert:", err)
	return 1
}

// ensureRelease writes the release unless a complete identical one exists.
func ensureRelease(dir string, inv synth.Inventory, a14b *synth.A14BInventory, cfg config) error {
	marker := filepath.Join(dir, ".bench-release.json")
	want, _ := json.Marshal(cfg)
	if have, err := os.ReadFile(marker); err == nil && bytes.Equal(have, want) {
		fmt.Printf("reusing synthetic release in %s\n", dir)
		return nil
	}
	err := os.RemoveAll(dir)
	if err != nil {
		return err
	}
	fmt.Printf("writing synthetic release to %s (scale %d) ...\n", dir, cfg.Scale)
	start := time.Now()
	opt := synth.Options{Seed: cfg.Seed, Scale: cfg.Scale}
	if a14b != nil {
		err = synth.WriteA14BRelease(dir, cfg.A14B, *a14b, inv.T5, opt)
	} else {
		err = synth.WriteRelease(dir, inv, opt)
	}
	if err != nil {
		return err
	}
	fmt.Printf("release written in %.1f s\n", time.Since(start).Seconds())
	return os.WriteFile(marker, want, 0o644)
}

// inputFiles lists the release's regular files (marker excluded).
func inputFiles(dir string) ([]string, int64, error) {
	var files []string
	var total int64
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.Mode().IsRegular() && fi.Name() != ".bench-release.json" {
			files = append(files, p)
			total += fi.Size()
		}
		return nil
	})
	sort.Strings(files)
	return files, total, err
}

// copyBaseline copies every input file to a scratch file on the same disk
// (one at a time, fsynced, then deleted) and returns the seconds taken.
func copyBaseline(files []string, scratch string) (float64, error) {
	buf := make([]byte, 8<<20)
	start := time.Now()
	for _, f := range files {
		in, err := os.Open(f)
		if err != nil {
			return 0, err
		}
		out, err := os.Create(scratch)
		if err != nil {
			in.Close()
			return 0, err
		}
		_, err = io.CopyBuffer(out, in, buf)
		if err == nil {
			err = out.Sync()
		}
		in.Close()
		out.Close()
		os.Remove(scratch)
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

type childRun struct {
	wall, cpu float64 // seconds
	rss       int64   // peak RSS, bytes
}

// convertChild runs the conversion in a child process and returns its wall
// time, CPU time (user + system) and peak RSS.
func convertChild(src, out, dtype string, extra []string) (childRun, error) {
	args := append([]string{"--force", "--quiet", "--dtype", dtype}, extra...)
	cmd := exec.Command(*wanconvBin, append(args, src, out)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return childRun{}, fmt.Errorf("conversion: %w", err)
	}
	r := childRun{wall: time.Since(start).Seconds()}
	r.cpu = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rss = ru.Maxrss * 1024 // Linux reports KiB
	}
	return r, nil
}

// largestTransformed is the biggest output tensor whose bytes the converter
// changes (a cast or a conv permutation), in bytes.
func largestTransformed(inv synth.Inventory, scale int, dtype string) int64 {
	out, err := tensor.ParseDType(dtype)
	keep := dtype == "keep" || err != nil
	var largest int64
	for _, c := range []synth.Component{inv.DiT, inv.T5, inv.VAE} {
		dt, _ := c.DType()
		target := out
		if keep {
			target = dt
		}
		for _, t := range c.Tensors {
			conv := len(t.Shape) >= 4
			if dt == target && !conv {
				continue
			}
			largest = max(largest, tensor.NumBytes(t.Shape, target))
		}
	}
	return largest
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// dropCaches asks the kernel to drop clean page-cache pages.
func dropCaches() bool {
	syscall.Sync()
	return os.WriteFile("/proc/sys/vm/drop_caches", []byte("3\n"), 0o200) == nil
}
