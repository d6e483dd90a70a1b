// Command bench-convert measures the converter on a full-size synthetic
// Wan2.2 TI2V-5B release: it writes the release (filled with pseudo-random
// data; reused when an identical one is already there), measures a
// cat-equivalent copy of the same input bytes to the same disk, then runs
// the conversion in a child process and reports wall times, throughputs,
// their ratio and the child's peak RSS against the memory budget
// (1 GiB + the largest transformed tensor).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/internal/synth"
	"github.com/wanconv/wanconv/tensor"
)

const childEnv = "WANCONV_BENCH_CHILD"

func main() {
	if os.Getenv(childEnv) == "1" {
		os.Exit(convertInChild(os.Args[1:]))
	}
	os.Exit(run())
}

// convertInChild is the measured child: the library conversion of
// args = DTYPE SRC OUT, replacing an earlier output (--force), silently.
func convertInChild(args []string) int {
	if len(args) != 3 {
		return fail(fmt.Errorf("child: want DTYPE SRC OUT, got %q", args))
	}
	opt := convert.Options{DType: args[0], SrcDir: args[1], OutDir: args[2], Force: true, Quiet: true}
	if _, err := convert.Convert(context.Background(), opt); err != nil {
		return fail(err)
	}
	return 0
}

type config struct {
	Inventory string `json:"inventory"`
	Scale     int    `json:"scale"`
	Seed      uint64 `json:"seed"`
}

func run() int {
	release := flag.String("release", "tmp/bench-release", "synthetic release directory (reused when complete and identical)")
	out := flag.String("out", "tmp/bench-out", "conversion output directory (removed afterwards unless -keep)")
	invPath := flag.String("inventory", "golden/wan2.2-ti2v-5b.inventory.json", "tensor inventory of the release")
	scale := flag.Int("scale", 0, "keep only the first N DiT/T5 blocks (0 = full size, ~34 GB)")
	seed := flag.Uint64("seed", 1, "data seed")
	dtype := flag.String("dtype", "bfloat16", "conversion --dtype")
	keep := flag.Bool("keep", false, "keep the converted output")
	drop := flag.Bool("drop-caches", true, "drop the page cache before each measurement (needs root; skipped otherwise)")
	flag.Parse()

	inv, err := synth.LoadInventory(*invPath)
	if err != nil {
		return fail(err)
	}
	cfg := config{Inventory: filepath.Base(*invPath), Scale: *scale, Seed: *seed}
	if err := ensureRelease(*release, inv, cfg); err != nil {
		return fail(err)
	}
	files, total, err := inputFiles(*release)
	if err != nil {
		return fail(err)
	}
	fmt.Printf("input: %d files, %.2f GB in %s\n", len(files), float64(total)/1e9, *release)

	dropped := *drop && dropCaches()
	copySecs, err := copyBaseline(files, filepath.Join(filepath.Dir(filepath.Clean(*out)), ".bench-copy-scratch"))
	if err != nil {
		return fail(err)
	}
	if *drop {
		dropCaches()
	}
	convSecs, maxRSS, err := convertChild(*release, *out, *dtype)
	if err != nil {
		return fail(err)
	}
	outBytes := dirSize(*out)
	if !*keep {
		os.RemoveAll(*out)
	}
	largest := largestTransformed(inv, *scale, *dtype)
	budget := int64(1<<30) + largest
	copyRate := float64(total) / copySecs
	convRate := float64(total) / convSecs
	ratio := convRate / copyRate
	fmt.Printf("page cache dropped before each step: %v\n", dropped)
	fmt.Printf("copy (cat-equivalent, fsync): %.1f s, %.0f MB/s\n", copySecs, copyRate/1e6)
	fmt.Printf("convert (--dtype %s):        %.1f s, %.0f MB/s of input, %.2f GB written\n", *dtype, convSecs, convRate/1e6, float64(outBytes)/1e9)
	fmt.Printf("ratio convert/copy: %.2f (goal >= 0.80: %s)\n", ratio, verdict(ratio >= 0.8))
	fmt.Printf("peak RSS: %.0f MiB; budget 1 GiB + largest transformed tensor %.0f MiB = %.0f MiB (%s)\n",
		float64(maxRSS)/(1<<20), float64(largest)/(1<<20), float64(budget)/(1<<20), verdict(maxRSS <= budget))
	return 0
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
func ensureRelease(dir string, inv synth.Inventory, cfg config) error {
	marker := filepath.Join(dir, ".bench-release.json")
	want, _ := json.Marshal(cfg)
	if have, err := os.ReadFile(marker); err == nil && bytes.Equal(have, want) {
		fmt.Printf("reusing synthetic release in %s\n", dir)
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	fmt.Printf("writing synthetic release to %s (scale %d) ...\n", dir, cfg.Scale)
	start := time.Now()
	if err := synth.WriteRelease(dir, inv, synth.Options{Seed: cfg.Seed, Scale: cfg.Scale}); err != nil {
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

// convertChild runs the conversion in a child process and returns its wall
// time and peak RSS in bytes.
func convertChild(src, out, dtype string) (float64, int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.Command(exe, dtype, src, out)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("conversion: %w", err)
	}
	secs := time.Since(start).Seconds()
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return secs, 0, nil
	}
	return secs, ru.Maxrss * 1024, nil // Linux reports KiB
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
