//go:build mlx

package verify

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
)

// convertTinyLayout converts the tiny release in the given layout.
func convertTinyLayout(t *testing.T, layoutName, dtype string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), layoutName)
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: golden.TinyRelease(), OutDir: out, DType: dtype, Layout: layoutName, Quiet: true})
	require.NoError(t, err)
	return out
}

// TestMLXVideoReferenceEqualsDefault: the tiny release converted with
// --layout mlx-video, verified against the upstream reference tensors, has
// exactly the reference errors of the default layout, for bfloat16 and
// float32 weights: the renames, the flattened patch embedding and the
// verifier's way back change no value.
func TestMLXVideoReferenceEqualsDefault(t *testing.T) {
	for _, dtype := range []string{"", "float32"} {
		t.Run("dtype="+dtype, func(t *testing.T) {
			code, def := verifyJSON(t, Options{Dir: convertTinyLayout(t, "wanconv", dtype), Reference: golden.TinyReference()})
			require.Equal(t, ExitPass, code, def.Problems)
			code, mv := verifyJSON(t, Options{Dir: convertTinyLayout(t, "mlx-video", dtype), Reference: golden.TinyReference()})
			require.Equal(t, ExitPass, code, mv.Problems)
			for _, c := range mv.Components {
				require.Equal(t, "mlx-video", c.Layout, c.Name)
			}
			want, got := referenceErrors(def), referenceErrors(mv)
			require.Len(t, want, 5)
			require.Equal(t, want, got)
			for name, e := range got {
				t.Logf("dtype %q: %-12s max|err|/std(ref) wanconv %.6e mlx-video %.6e", dtype, name, want[name], e)
			}
		})
	}
}

// TestForeignMLXVideoReference: the foreign mlx-video directory (written by
// the test's own writer, the release's dtypes kept) reproduces the upstream
// outputs exactly as well as wanconv's own float32 conversion does for the
// DiT and VAE, and its bfloat16 T5 as well as the default conversion's.
func TestForeignMLXVideoReference(t *testing.T) {
	code, f32 := verifyJSON(t, Options{Dir: convertTinyLayout(t, "wanconv", "float32"), Reference: golden.TinyReference()})
	require.Equal(t, ExitPass, code, f32.Problems)
	code, bf16 := verifyJSON(t, Options{Dir: convertTinyLayout(t, "wanconv", ""), Components: []mapping.Component{mapping.ComponentT5}, Reference: golden.TinyReference()})
	require.Equal(t, ExitPass, code, bf16.Problems)
	code, foreign := verifyJSON(t, Options{Dir: writeForeignMLXVideo(t, nil, nil), Reference: golden.TinyReference()})
	require.Equal(t, ExitPass, code, foreign.Problems)

	want := referenceErrors(f32)
	for k, v := range referenceErrors(bf16) {
		want[k] = v
	}
	got := referenceErrors(foreign)
	require.Len(t, got, 5)
	require.Equal(t, want, got)
	for name, e := range got {
		t.Logf("foreign mlx-video: %-12s max|err|/std(ref) %.6e", name, e)
	}
}
