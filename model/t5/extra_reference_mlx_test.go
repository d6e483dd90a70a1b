//go:build mlx

package t5

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/mlx"
)

// A mask with a hole in the middle (positions 6–8) and padding at the end
// (16–19), against upstream (golden/tools/make_extra_reference.py). Every
// position is compared, masked ones included: upstream computes them too.
func TestExtraReferenceMaskWithHoles(t *testing.T) {
	requireMLX(t)
	m := loadModel(t, convertTiny(t, "float32"), Options{})
	path := filepath.Join(repoRoot(t), "golden", "wan2.2-tiny.reference", "extra.safetensors")
	var got, want []float32
	var mask []int32
	require.NoError(t, mlx.Do(func() error {
		arrs, _, err := mlx.LoadSafetensors(path)
		if err != nil {
			return err
		}
		ids, maskArr, out := arrs["t5.holes.input.ids"], arrs["t5.holes.input.mask"], arrs["t5.holes.output"]
		require.NotNil(t, ids, "%s lacks t5.holes.input.ids", path)
		require.NotNil(t, maskArr, "%s lacks t5.holes.input.mask", path)
		require.NotNil(t, out, "%s lacks t5.holes.output", path)
		require.Equal(t, []int{1, 20}, ids.Shape())
		require.Equal(t, []int{1, 20, 64}, out.Shape())
		if mask, err = mlx.AsType(maskArr, mlx.Int32).Int32s(); err != nil {
			return err
		}
		enc, err := m.Encode(ids, maskArr)
		if err != nil {
			return err
		}
		require.Equal(t, []int{1, 20, 64}, enc.Shape())
		if got, err = enc.Float32s(); err != nil {
			return err
		}
		want, err = out.Float32s()
		return err
	}))
	require.Equal(t, []int32{1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, mask)
	maxAbs, std := errorStats(t, got, want)
	t.Logf("t5 holes float32: max|err| %.3g, max|err|/std(ref) %.3g", maxAbs, maxAbs/std)
	require.LessOrEqual(t, maxAbs/std, 1e-4)
}
