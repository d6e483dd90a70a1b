//go:build mlx

package t5

import (
	"testing"
	"time"

	"github.com/wanconv/wanconv/mlx"
)

func TestTmpMatmulSpeed(t *testing.T) {
	for _, mode := range []string{"f32-T", "f32-pretransposed-copy", "bf16-T", "bf16-pretransposed"} {
		var d time.Duration
		err := mlx.Do(func() error {
			x := mlx.MulScalar(mlx.Ones(mlx.Float32, 512, 4096), 0.01)
			w := mlx.AsType(mlx.MulScalar(mlx.Ones(mlx.Float32, 4096, 4096), 0.01), mlx.BFloat16)
			mlx.Eval(x, w)
			start := time.Now()
			var y *mlx.Array
			switch mode {
			case "f32-T":
				y = mlx.Matmul(x, mlx.Transpose(mlx.AsType(w, mlx.Float32)))
			case "f32-pretransposed-copy":
				y = mlx.Matmul(x, mlx.AsType(mlx.Transpose(w), mlx.Float32))
			case "bf16-T":
				y = mlx.Matmul(mlx.AsType(x, mlx.BFloat16), mlx.Transpose(w))
			case "bf16-pretransposed":
				wt := mlx.Add(mlx.Transpose(w), mlx.Zeros(mlx.BFloat16, 1))
				y = mlx.Matmul(mlx.AsType(x, mlx.BFloat16), wt)
			}
			mlx.Eval(y)
			d = time.Since(start)
			return nil
		})
		t.Logf("%s: %v  (%.1f GFLOPS) err %v", mode, d, 2*512*4096*4096/d.Seconds()/1e9, err)
	}
}
