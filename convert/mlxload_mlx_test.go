//go:build mlx

package convert

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
	"github.com/x448/float16"
)

// convertedFiles converts the tiny release (DiT sharded) and lists the
// safetensors outputs.
func convertedFiles(t *testing.T, dtype string) []string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, DType: dtype, Quiet: true, MaxShardSize: 600_000})
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(out, "*.safetensors"))
	require.NoError(t, err)
	require.Greater(t, len(files), 3)
	return files
}

// TestOutputsLoadWithMLX loads every output with MLX's own safetensors loader
// and compares each tensor bit for bit with the project's reader.
func TestOutputsLoadWithMLX(t *testing.T) {
	for _, dtype := range []string{"", "float32"} {
		for _, path := range convertedFiles(t, dtype) {
			ours := readSafetensors(t, path)
			err := mlx.Do(func() error {
				arrays, meta, err := mlx.LoadSafetensors(path)
				if err != nil {
					return err
				}
				require.Equal(t, "mlx", meta["format"], path)
				require.Len(t, arrays, len(ours), path)
				for name, a := range arrays {
					want, ok := ours[name]
					require.True(t, ok, "%s: MLX sees %s", path, name)
					require.Equal(t, want.info.DType.Name(), a.Dtype().String(), name)
					shape := make([]int64, len(a.Shape()))
					for i, d := range a.Shape() {
						shape[i] = int64(d)
					}
					require.Equal(t, want.info.Shape, shape, name)
					got, err := a.Bytes()
					require.NoError(t, err)
					require.Equal(t, want.data, got, name)
				}
				return nil
			})
			require.NoError(t, err)
		}
	}
}

// TestOutputsLoadWithMLXPython loads every output with the official MLX
// Python frontend (`mlx.core.load`) and compares dtype, shape and the sum
// of each tensor with the project's reader.
func TestOutputsLoadWithMLXPython(t *testing.T) {
	py := os.Getenv("WANCONV_MLX_PY")
	if py == "" {
		py = "../.deps/mlx-py"
	}
	if _, err := os.Stat(filepath.Join(py, "mlx", "core")); err != nil {
		t.Skipf("no MLX Python frontend in %s (make -f mk/mlx.mk mlx-setup installs it)", py)
	}
	script := `import sys, mlx.core as mx
arrays, meta = mx.load(sys.argv[1], return_metadata=True)
print("__format__", meta.get("format"))
for k, v in sorted(arrays.items()):
    print(k, str(v.dtype).replace("mlx.core.", ""), ",".join(map(str, v.shape)), repr(mx.sum(v.astype(mx.float32)).item()))`
	for _, path := range convertedFiles(t, "") {
		cmd := exec.Command("python3", "-c", script, path)
		cmd.Env = append(os.Environ(), "PYTHONPATH="+py)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		ours := readSafetensors(t, path)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		require.Equal(t, "__format__ mlx", lines[0], path)
		require.Len(t, lines[1:], len(ours), path)
		for _, line := range lines[1:] {
			f := strings.Fields(line)
			require.Len(t, f, 4, line)
			want, ok := ours[f[0]]
			require.True(t, ok, f[0])
			require.Equal(t, want.info.DType.Name(), f[1], f[0])
			require.Equal(t, shapeCSV(want.info.Shape), f[2], f[0])
			sum, err := strconv.ParseFloat(f[3], 64)
			require.NoError(t, err)
			ref := sumAsFloat(want.info.DType, want.data)
			require.InDelta(t, ref, sum, 1e-3*(1+math.Abs(ref)), f[0])
		}
	}
}

func shapeCSV(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return strings.Join(parts, ",")
}

func sumAsFloat(dt tensor.DType, b []byte) float64 {
	var s float64
	switch dt {
	case tensor.F32:
		for i := 0; i+4 <= len(b); i += 4 {
			s += float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
		}
	case tensor.BF16:
		for i := 0; i+2 <= len(b); i += 2 {
			s += float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[i:])) << 16))
		}
	case tensor.F16:
		for i := 0; i+2 <= len(b); i += 2 {
			s += float64(float16.Frombits(binary.LittleEndian.Uint16(b[i:])).Float32())
		}
	}
	return s
}
