//go:build mlx

package mlx_test

import (
	"testing"

	"github.com/wanconv/wanconv/mlx"
)

// BenchmarkDoRoundTrip measures the cost of handing an empty closure to the
// MLX thread.
func BenchmarkDoRoundTrip(b *testing.B) {
	for b.Loop() {
		if err := mlx.Do(func() error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpConstruction measures building (not evaluating) one lazy op,
// the per-call overhead of the Go wrappers and the bridge.
func BenchmarkOpConstruction(b *testing.B) {
	err := mlx.Do(func() error {
		x := mlx.Zeros(mlx.Float32, 4)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			mlx.Scoped(func() []*mlx.Array {
				mlx.Add(x, x)
				return nil
			})
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkMatmul256 evaluates a 256x256 float32 matrix product on the
// default device.
func BenchmarkMatmul256(b *testing.B) {
	err := mlx.Do(func() error {
		x := mlx.FromFloat32s(randn(1, 256*256), 256, 256)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var err error
			mlx.Scoped(func() []*mlx.Array {
				err = mlx.Eval(mlx.Matmul(x, x))
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
