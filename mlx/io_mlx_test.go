//go:build mlx

package mlx_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mlx"
)

var goldenReference = golden.TinyReference()

func TestSafetensorsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "round.safetensors")
	f32 := randn(41, 6)
	bf16 := []byte{0x80, 0x3f, 0x00, 0xc0, 0xc9, 0x40} // 1, -2, 6.28125
	do(t, func() error {
		return mlx.SaveSafetensors(path, map[string]*mlx.Array{
			"a.weight": mlx.FromFloat32s(f32, 2, 3),
			"b.bf16":   mlx.FromBytes(bf16, mlx.BFloat16, 3),
			"c.ids":    mlx.FromInt64s([]int64{-1, 1 << 40}, 2),
			"d.mask":   mlx.FromBools([]bool{true, false, true}, 3),
			"e.view":   mlx.Transpose(mlx.FromFloat32s(f32, 2, 3)), // non-contiguous
		}, map[string]string{"format": "mlx", "source": "wanconv-test"})
	})
	do(t, func() error {
		arrays, meta, err := mlx.LoadSafetensors(path)
		require.NoError(t, err)
		require.Equal(t, map[string]string{"format": "mlx", "source": "wanconv-test"}, meta)
		require.Len(t, arrays, 5)

		require.Equal(t, []int{2, 3}, arrays["a.weight"].Shape())
		requireClose(t, f32, values(t, arrays["a.weight"]), 0)

		b := arrays["b.bf16"]
		require.Equal(t, mlx.BFloat16, b.Dtype())
		raw, err := b.Bytes()
		require.NoError(t, err)
		require.Equal(t, bf16, raw)
		requireClose(t, []float32{1, -2, 6.28125}, values(t, b), 0)

		ids := arrays["c.ids"]
		require.Equal(t, mlx.Int64, ids.Dtype())
		raw, err = ids.Bytes()
		require.NoError(t, err)
		require.Equal(t, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0, 0}, raw)

		require.Equal(t, mlx.Bool, arrays["d.mask"].Dtype())
		requireClose(t, []float32{1, 0, 1}, values(t, arrays["d.mask"]), 0)

		e := arrays["e.view"]
		require.Equal(t, []int{3, 2}, e.Shape())
		requireClose(t, []float32{f32[0], f32[3], f32[1], f32[4], f32[2], f32[5]}, values(t, e), 0)
		return nil
	})
	crossCheckWithPython(t, path, map[string]string{
		"a.weight": "float32 (2, 3)", "b.bf16": "bfloat16 (3,)", "c.ids": "int64 (2,)",
		"d.mask": "bool (3,)", "e.view": "float32 (3, 2)",
	})
}

func TestSafetensorsErrorsNameTheFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.safetensors")
	err := mlx.Do(func() error {
		_, _, err := mlx.LoadSafetensors(missing)
		return err
	})
	require.ErrorContains(t, err, missing)

	bad := filepath.Join(t.TempDir(), "bad.safetensors")
	require.NoError(t, os.WriteFile(bad, []byte("not a safetensors file"), 0o644))
	err = mlx.Do(func() error {
		_, _, err := mlx.LoadSafetensors(bad)
		return err
	})
	require.ErrorContains(t, err, bad)

	err = mlx.Do(func() error {
		return mlx.SaveSafetensors(filepath.Join(t.TempDir(), "x.bin"), map[string]*mlx.Array{"a": mlx.Scalar(1)}, nil)
	})
	require.ErrorContains(t, err, ".safetensors")

	err = mlx.Do(func() error {
		return mlx.SaveSafetensors(filepath.Join(t.TempDir(), "x.safetensors"), map[string]*mlx.Array{"w": nil}, nil)
	})
	require.ErrorContains(t, err, `"w"`)
}

func TestLoadGoldenReference(t *testing.T) {
	do(t, func() error {
		arrays, _, err := mlx.LoadSafetensors(goldenReference)
		require.NoError(t, err)
		want := map[string][]int{
			"dit.input.x":       {48, 3, 8, 12},
			"dit.output":        {48, 3, 8, 12},
			"dit.input.t":       {1, 80},
			"dit.input.context": {10, 64},
			"t5.input.ids":      {1, 24},
			"t5.output":         {1, 24, 64},
			"vae.input.video":   {3, 5, 32, 32},
			"vae.output.latent": {48, 2, 2, 2},
		}
		for name, shape := range want {
			require.Contains(t, arrays, name)
			require.Equal(t, shape, arrays[name].Shape(), name)
		}
		require.Equal(t, mlx.Int64, arrays["t5.input.ids"].Dtype())
		x := values(t, arrays["dit.input.x"])
		require.Len(t, x, 48*3*8*12)
		std, err := mlx.Sqrt(mlx.Var(arrays["dit.input.x"], false, 0)).Item()
		require.NoError(t, err)
		require.Greater(t, std, 0.1, "reference input is not all zeros")
		return nil
	})
}

// crossCheckWithPython loads path with the official MLX Python frontend
// (installed by scripts/setup-mlx.sh into .deps/mlx-py) and compares dtypes
// and shapes. It skips visibly when the frontend is not installed.
func crossCheckWithPython(t *testing.T, path string, want map[string]string) {
	t.Helper()
	py := os.Getenv("WANCONV_MLX_PY")
	if py == "" {
		py = "../.deps/mlx-py"
	}
	if _, err := os.Stat(filepath.Join(py, "mlx", "core")); err != nil {
		t.Logf("skipping Python cross-check: no MLX Python frontend in %s (run make -f mk/mlx.mk mlx-setup)", py)
		return
	}
	script := `import sys, mlx.core as mx
for k, v in sorted(mx.load(sys.argv[1]).items()):
    print(k, str(v.dtype).replace("mlx.core.", ""), tuple(v.shape))`
	cmd := exec.Command("python3", "-c", script, path)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+py)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, rest, _ := strings.Cut(line, " ")
		got[name] = rest
	}
	require.Equal(t, want, got)
}

func TestKeptWeightsOutliveDoAndFreeReturnsMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.safetensors")
	w := randn(51, 64*64)
	do(t, func() error {
		return mlx.SaveSafetensors(path, map[string]*mlx.Array{"proj.weight": mlx.FromFloat32s(w, 64, 64)}, nil)
	})
	mlx.ClearCache()
	baseline := mlx.ActiveMemory()

	var weight *mlx.Array
	do(t, func() error {
		arrays, _, err := mlx.LoadSafetensors(path)
		require.NoError(t, err)
		weight = arrays["proj.weight"]
		mlx.Keep(weight)
		return mlx.Eval(weight)
	})
	require.Equal(t, baseline+64*64*4, mlx.ActiveMemory(), "the kept weight stays resident")
	for step := 0; step < 3; step++ {
		do(t, func() error {
			x := mlx.FromFloat32s(randn(uint64(step), 64), 1, 64)
			y := mlx.Matmul(x, mlx.Transpose(weight))
			require.Equal(t, []int{1, 64}, y.Shape())
			return mlx.Eval(y)
		})
	}
	weight.Free()
	require.Equal(t, baseline, mlx.ActiveMemory())
}
