//go:build mlx

package dit

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mlx"
)

// extraReferencePath holds upstream cases reference.safetensors lacks
// (written by golden/tools/make_extra_reference.py).
var extraReferencePath = filepath.Join(filepath.Dir(golden.TinyReference()), "extra.safetensors")

// extraCase runs the float32 tiny model on the extra reference case prefix
// (inputs prefix.input.x|t|context, prefix.seq_len) and checks the output.
func extraCase(t *testing.T, prefix string, xShape, tShape []int, ctxLen, seqLen int) {
	tinyModel(t, func(m *Model, _ reference) {
		arrs, _, err := mlx.LoadSafetensors(extraReferencePath)
		require.NoError(t, err)
		get := func(name string) *mlx.Array {
			a, ok := arrs[prefix+name]
			require.True(t, ok, "%s lacks %s%s", extraReferencePath, prefix, name)
			return a
		}
		x, ts, ctx, want := get(".input.x"), get(".input.t"), get(".input.context"), get(".output")
		require.Equal(t, xShape, x.Shape())
		require.Equal(t, tShape, ts.Shape())
		require.Equal(t, []int{ctxLen, m.Arch().TextDim}, ctx.Shape())
		n, err := mlx.AsType(get(".seq_len"), mlx.Int32).Int32s()
		require.NoError(t, err)
		require.Equal(t, []int32{int32(seqLen)}, n)

		out := run(t, m, x, ts, ctx, seqLen)
		require.Equal(t, mlx.Float32, out.Dtype())
		maxAbs, rel := compare(t, out, want)
		t.Logf("dit %s float32: max|err| %.3g, max|err|/std(ref) %.3g", prefix, maxAbs, rel)
		require.LessOrEqual(t, rel, 1e-4)
	})
}

// A t2v-style scalar timestep [1] on a non-square latent (3×5 patches per
// frame), 7 context tokens and 5 padded tokens.
func TestExtraReferenceScalarTimestep(t *testing.T) {
	extraCase(t, "dit.scalar_t", []int{48, 2, 6, 10}, []int{1}, 7, 35)
}

// Per-token timesteps (all distinct) with a context of exactly text_len
// tokens, so no context padding.
func TestExtraReferenceFullContext(t *testing.T) {
	extraCase(t, "dit.full_ctx", []int{48, 3, 4, 6}, []int{1, 20}, 32, 20)
}
