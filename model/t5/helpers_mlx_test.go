//go:build mlx

package t5

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mlx"
)

// repoRoot is two levels above this package.
func repoRoot(t testing.TB) string {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "repository root not found")
	return root
}

func requireMLX(t testing.TB) {
	if !mlx.Available() {
		t.Skip("MLX is not available in this build")
	}
}

// convertTiny converts the golden tiny release with the converter and
// returns the path of its T5 file.
func convertTiny(t testing.TB, dtype string) string {
	out := filepath.Join(t.TempDir(), "converted")
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: filepath.Join(repoRoot(t), "golden", "wan2.2-tiny"),
		OutDir: out, DType: dtype, Quiet: true,
	})
	require.NoError(t, err)
	return filepath.Join(out, layout.Wanconv.T5)
}

// goldenT5 holds the upstream reference input and output of the tiny encoder.
type goldenT5 struct {
	ids, mask []int32
	output    []float32 // [1, L, dim] row-major
	length    int
}

func loadGolden(t testing.TB) goldenT5 {
	path := filepath.Join(repoRoot(t), "golden", "wan2.2-tiny.reference", "reference.safetensors")
	var g goldenT5
	// No require inside mlx.Do: f runs on the MLX thread, not the test's goroutine.
	err := mlx.Do(func() error {
		arrays, _, err := mlx.LoadSafetensors(path)
		if err != nil {
			return err
		}
		ids, mask, out := arrays["t5.input.ids"], arrays["t5.input.mask"], arrays["t5.output"]
		if ids == nil || mask == nil || out == nil {
			return fmt.Errorf("%s lacks t5.input.ids, t5.input.mask or t5.output", path)
		}
		g.length = ids.Dim(1)
		if g.ids, err = mlx.AsType(ids, mlx.Int32).Int32s(); err != nil {
			return err
		}
		if g.mask, err = mlx.AsType(mask, mlx.Int32).Int32s(); err != nil {
			return err
		}
		g.output, err = out.Float32s()
		return err
	})
	require.NoError(t, err)
	require.Equal(t, 24, g.length)
	require.Len(t, g.output, g.length*64)
	return g
}

// errorStats returns max|got−want| and the population standard deviation of want.
func errorStats(t testing.TB, got, want []float32) (maxAbs, std float64) {
	require.Len(t, got, len(want))
	var sum, sumSq float64
	for i, w := range want {
		maxAbs = math.Max(maxAbs, math.Abs(float64(got[i])-float64(w)))
		sum += float64(w)
		sumSq += float64(w) * float64(w)
	}
	n := float64(len(want))
	mean := sum / n
	return maxAbs, math.Sqrt(sumSq/n - mean*mean)
}

func loadModel(t testing.TB, path string, opts Options) *Model {
	m, err := Load(path, opts)
	require.NoError(t, err)
	t.Cleanup(m.Free)
	return m
}
