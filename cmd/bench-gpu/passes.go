//go:build mlx

package main

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/dit"
	"github.com/wanconv/wanconv/model/t5"
	"github.com/wanconv/wanconv/model/vae"
	"github.com/wanconv/wanconv/tensor"
)

// Input sizes, those of make bench-verify.
const (
	ditFrames, ditH, ditW, ditContext = 4, 32, 32, 512 // context: at most text_len tokens
	ditSeed                           = 1
	t5Length, t5Valid                 = 512, 300
	t5Seed                            = 2026
	vaeSeed                           = 11
	videoFrames, videoSize            = 5, 128
	videoSeed                         = 12
)

// timed runs f once to warm up and then reps times, returning the wall time
// of each timed run and the largest MLX peak memory among them.
func timed(reps int, f func() error) ([]float64, int64, error) {
	var runs []float64
	var peak int64
	for i := -1; i < reps; i++ {
		mlx.ResetPeakMemory()
		start := time.Now()
		if err := f(); err != nil {
			return nil, 0, err
		}
		if i >= 0 {
			runs = append(runs, time.Since(start).Seconds())
			peak = max(peak, mlx.PeakMemory())
		}
	}
	return runs, peak, nil
}

// pass times forward (warm-up + reps runs), evaluates its output, keeps it in
// the dump under key and records the result.
func (b *bench) pass(component, precision, key string, load float64, forward func() (*mlx.Array, error)) error {
	var out []float32
	var shape []int
	runs, peak, err := timed(b.reps, func() error {
		return mlx.Do(func() error {
			y, err := forward()
			if err != nil {
				return err
			}
			if err := mlx.Eval(y); err != nil {
				return err
			}
			shape = y.Shape()
			out, err = y.Float32s()
			return err
		})
	})
	if err != nil {
		return err
	}
	b.dump[key] = hostTensor{f32: out, shape: shape}
	b.add(result{Component: component, Precision: precision, LoadS: load, RunsS: runs, PeakBytes: peak, Output: shape})
	return nil
}

func (b *bench) runDiT() error {
	for _, p := range b.precisions {
		prec, err := tensor.ParseDType(p)
		if err != nil {
			return err
		}
		files, cfg, err := layout.ComponentFiles(b.dir, mapping.ComponentDiT)
		if err != nil {
			return err
		}
		start := time.Now()
		m, err := dit.Load(files, cfg, dit.Options{ComputeDType: prec})
		if err != nil {
			return err
		}
		load := time.Since(start).Seconds()
		err = func() error {
			defer m.Free()
			in, err := dit.SyntheticInputs(m.Arch(), ditFrames, ditH, ditW, min(ditContext, m.Arch().TextLen), ditSeed)
			if err != nil {
				return err
			}
			b.dump["dit.input.x"] = hostTensor{f32: in.X, shape: in.XShape}
			b.dump["dit.input.t"] = hostTensor{f32: in.T, shape: in.TShape}
			b.dump["dit.input.context"] = hostTensor{f32: in.Context, shape: in.ContextShape}
			b.meta["dit.seq_len"] = strconv.Itoa(in.SeqLen)
			return b.pass("dit", p, "dit.output."+p, load, func() (*mlx.Array, error) {
				x, t, ctx := in.Arrays()
				return m.Forward(x, t, ctx, in.SeqLen)
			})
		}()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

func (b *bench) runT5() error {
	for _, p := range b.precisions {
		opts := t5.Options{ComputeDType: tensor.F32}
		if p == "bfloat16" {
			opts.ComputeDType = tensor.BF16
		}
		start := time.Now()
		m, err := t5.Load(filepath.Join(b.dir, layout.Wanconv.T5), opts)
		if err != nil {
			return err
		}
		load := time.Since(start).Seconds()
		err = func() error {
			defer m.Free()
			ids, mask, err := t5.SyntheticTokens(m.Arch().Vocab, t5Length, t5Valid, t5Seed)
			if err != nil {
				return err
			}
			b.dump["t5.input.ids"] = hostTensor{i32: ids, shape: []int{1, len(ids)}}
			b.dump["t5.input.mask"] = hostTensor{i32: mask, shape: []int{1, len(mask)}}
			return b.pass("t5", p, "t5.output."+p, load, func() (*mlx.Array, error) {
				return m.Encode(mlx.FromInt32s(ids, 1, len(ids)), mlx.FromInt32s(mask, 1, len(mask)))
			})
		}()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

func (b *bench) runVAE() error {
	// A smooth deterministic latent in the normalised range (as BenchmarkVAEFullSize).
	lat := vae.SyntheticVideo(2*8, 8, 48, vaeSeed)[:48*2*8*8]
	for i := range lat {
		lat[i] *= 2
	}
	latShape := []int{48, 2, 8, 8}
	video := vae.SyntheticVideo(videoFrames, videoSize, videoSize, videoSeed)
	videoShape := []int{3, videoFrames, videoSize, videoSize}
	b.dump["vae.input.latent"] = hostTensor{f32: lat, shape: latShape}
	b.dump["vae.input.video"] = hostTensor{f32: video, shape: videoShape}
	for _, p := range b.precisions {
		opts := vae.Options{ComputeDType: tensor.F32}
		if p == "bfloat16" {
			opts.ComputeDType = tensor.BF16
		}
		start := time.Now()
		m, err := vae.Load(filepath.Join(b.dir, layout.Wanconv.VAE), opts)
		if err != nil {
			return err
		}
		load := time.Since(start).Seconds()
		err = func() error {
			defer m.Free()
			for _, pass := range []struct {
				name, key string
				in        []float32
				shape     []int
				f         func(*mlx.Array) (*mlx.Array, error)
			}{
				{"vae.decode", "vae.output.video.", lat, latShape, m.Decode},
				{"vae.encode", "vae.output.latent.", video, videoShape, m.Encode},
			} {
				err := b.pass(pass.name, p, pass.key+p, load, func() (*mlx.Array, error) {
					return pass.f(mlx.FromFloat32s(pass.in, pass.shape...))
				})
				if err != nil {
					return fmt.Errorf("%s: %w", pass.name, err)
				}
			}
			return nil
		}()
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}
