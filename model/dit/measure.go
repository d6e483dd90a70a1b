//go:build mlx

package dit

import (
	"fmt"
	"time"

	"github.com/wanconv/wanconv/mlx"
)

// Timing describes one measured forward pass.
type Timing struct {
	Build      time.Duration // building the lazy graph (Go + cgo), inside Forward
	Eval       time.Duration // mlx.Eval of the output
	PeakMemory int64         // mlx.PeakMemory after the pass, bytes
	Output     []int         // output shape
}

// Total is Build + Eval.
func (t Timing) Total() time.Duration { return t.Build + t.Eval }

// BuildShare is the fraction of the wall time spent outside MLX evaluation.
func (t Timing) BuildShare() float64 {
	if t.Total() == 0 {
		return 0
	}
	return float64(t.Build) / float64(t.Total())
}

// MeasureForward runs one forward pass on in inside its own mlx.Do, timing
// graph construction and evaluation separately; peak memory is reset first
// (the resident weights stay counted). For a streamed model, Build includes
// reading and evaluating the blocks.
func (m *Model) MeasureForward(in *Inputs) (Timing, error) {
	var tm Timing
	err := mlx.Do(func() error {
		x, t, ctx := in.Arrays()
		y := in.YArray()
		if err := mlx.Eval(x, t, ctx); err != nil {
			return fmt.Errorf("dit: inputs: %w", err)
		}
		if y != nil {
			if err := mlx.Eval(y); err != nil {
				return fmt.Errorf("dit: inputs: %w", err)
			}
		}
		mlx.ResetPeakMemory()
		start := time.Now()
		out, err := m.ForwardY(x, y, t, ctx, in.SeqLen)
		if err != nil {
			return err
		}
		built := time.Now()
		if err := mlx.Eval(out); err != nil {
			return fmt.Errorf("dit: forward: %w", err)
		}
		tm.Build, tm.Eval = built.Sub(start), time.Since(built)
		tm.PeakMemory = mlx.PeakMemory()
		tm.Output = out.Shape()
		return nil
	})
	return tm, err
}
