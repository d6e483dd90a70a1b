//go:build mlx

package dit

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mlx"
)

// convertA14B converts a tiny A14B release into a temporary directory.
func convertA14B(t testing.TB, k golden.A14B, dtype string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "converted")
	_, err := convert.Convert(context.Background(), convert.Options{SrcDir: golden.TinyA14BRelease(k), OutDir: out, DType: dtype, Quiet: true})
	require.NoError(t, err)
	return out
}

// a14bSeqLen is golden.json's dit.seq_len of both tiny A14B releases (32
// tokens, padded).
const a14bSeqLen = 40

// expertOutput runs one converted expert on the upstream reference inputs,
// loaded whole (streamed false) or block-streamed, and returns its output
// and upstream's as host slices.
func expertOutput(t *testing.T, dir string, k golden.A14B, e layout.Expert, streamed bool, opts Options) (got, want *mlx.Array) {
	t.Helper()
	files, cfg, err := layout.ExpertFiles(dir, e)
	require.NoError(t, err)
	var m *Model
	if streamed {
		src, err := safetensors.OpenAuto(filepath.Join(dir, string(e), layout.Wanconv.DiTIndex()))
		require.NoError(t, err)
		t.Cleanup(func() { _ = src.Close() })
		m, err = LoadStreamed(src, cfg, opts)
		require.NoError(t, err)
		require.True(t, m.Streamed())
	} else {
		m, err = Load(files, cfg, opts)
		require.NoError(t, err)
	}
	t.Cleanup(m.Free)
	arrs, _, err := mlx.LoadSafetensors(golden.TinyA14BReference(k))
	require.NoError(t, err)
	prefix := map[layout.Expert]string{layout.ExpertHigh: "high", layout.ExpertLow: "low"}[e]
	out, err := m.ForwardY(arrs["dit.input.x"], arrs["dit.input.y"], arrs[prefix+".input.t"], arrs["dit.input.context"], a14bSeqLen)
	require.NoError(t, err)
	require.NoError(t, mlx.Eval(out))
	return out, arrs[prefix+".output"]
}

// Both experts of both tiny A14B releases against upstream's outputs, each
// with its own timestep (a scalar [1]) and, for I2V, the conditioning y:
// float32 weights within 1e-4 of std(ref), bfloat16 within 2e-2; the
// block-streamed model gives the in-memory model's output.
func TestA14BExpertsMatchUpstream(t *testing.T) {
	requireMLX(t)
	for _, k := range []golden.A14B{golden.T2VA14B, golden.I2VA14B} {
		for _, c := range []struct {
			dtype string
			tol   float64
		}{{"float32", 1e-4}, {"", 2e-2}} {
			dir := convertA14B(t, k, c.dtype)
			for _, e := range layout.Experts {
				require.NoError(t, mlx.Do(func() error {
					got, want := expertOutput(t, dir, k, e, false, Options{})
					maxAbs, rel := compare(t, got, want)
					t.Logf("%s %s, %s weights: max|err| %.3g, max|err|/std(ref) %.3g", k, e, label(c.dtype), maxAbs, rel)
					require.LessOrEqual(t, rel, c.tol)
					streamed, _ := expertOutput(t, dir, k, e, true, Options{})
					same, _ := compare(t, streamed, got)
					require.LessOrEqual(t, same, 1e-6, "streamed vs in memory")
					return nil
				}))
			}
		}
	}
}

func label(dtype string) string {
	if dtype == "" {
		return "bfloat16 (default)"
	}
	return dtype
}

// An i2v model needs y, with the channels in_dim leaves for it; the other
// model types take none.
func TestForwardConditioning(t *testing.T) {
	requireMLX(t)
	i2v := convertA14B(t, golden.I2VA14B, "float32")
	t2v := convertA14B(t, golden.T2VA14B, "float32")
	require.NoError(t, mlx.Do(func() error {
		load := func(dir string) *Model {
			files, cfg, err := layout.ExpertFiles(dir, layout.ExpertHigh)
			require.NoError(t, err)
			m, err := Load(files, cfg, Options{})
			require.NoError(t, err)
			t.Cleanup(m.Free)
			return m
		}
		m := load(i2v)
		x, y := mlx.Zeros(mlx.Float32, 16, 2, 8, 8), mlx.Zeros(mlx.Float32, 20, 2, 8, 8)
		ts, ctx := mlx.FromFloat32s([]float32{900}, 1), mlx.Zeros(mlx.Float32, 10, 64)
		_, err := m.Forward(x, ts, ctx, 32)
		require.ErrorContains(t, err, "an i2v model needs the conditioning y (in_dim 36 = the latent's channels + y's)")
		_, err = m.ForwardY(x, mlx.Zeros(mlx.Float32, 19, 2, 8, 8), ts, ctx, 32)
		require.ErrorContains(t, err, "latent x [16 2 8 8] and conditioning y [19 2 8 8] must be [C, F, H, W] and [36 − C, F, H, W]")
		_, err = m.ForwardY(x, mlx.Zeros(mlx.Float32, 20, 2, 8, 6), ts, ctx, 32)
		require.ErrorContains(t, err, "must be [C, F, H, W]")
		out, err := m.ForwardY(x, y, ts, ctx, 32)
		require.NoError(t, err)
		require.NoError(t, mlx.Eval(out))
		require.Equal(t, []int{16, 2, 8, 8}, out.Shape())

		m = load(t2v)
		_, err = m.ForwardY(x, y, ts, ctx, 32)
		require.ErrorContains(t, err, "a t2v model takes no conditioning y")
		_, err = m.Forward(x, mlx.FromFloat32s([]float32{900, 900}, 2), ctx, 32)
		require.ErrorContains(t, err, "timesteps t have shape [2], want [1] or [1, 32]")
		return nil
	}))
}
