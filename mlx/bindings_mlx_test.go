//go:build mlx

package mlx_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

func TestMapIteratorErrorIsReportedNotTruncation(t *testing.T) {
	do(t, func() error {
		before := mlx.LiveArrays()
		all, err := mlx.ProbeArrayMap(5, -1)
		require.NoError(t, err)
		require.Len(t, all, 5)
		for i := range 5 {
			v, err := all[fmt.Sprintf("k%02d", i)].Item()
			require.NoError(t, err)
			require.Equal(t, float64(i), v)
		}
		require.Equal(t, before+5, mlx.LiveArrays())

		// Status 1 after two entries: an error naming the entry, with
		// mlx-c's message, and the two arrays already taken are freed.
		got, err := mlx.ProbeArrayMap(5, 2)
		require.Nil(t, got)
		require.ErrorContains(t, err, "reading entry 3")
		require.ErrorContains(t, err, "iterator")
		require.Equal(t, before+5, mlx.LiveArrays())

		strs, err := mlx.ProbeStringMap(4, -1)
		require.NoError(t, err)
		require.Equal(t, map[string]string{"k00": "0", "k01": "1", "k02": "2", "k03": "3"}, strs)
		strs, err = mlx.ProbeStringMap(4, 3)
		require.Nil(t, strs)
		require.ErrorContains(t, err, "reading entry 4")
		require.ErrorContains(t, err, "iterator")
		return nil
	})
}

func TestStaleErrorMessageIsNeverReportedAgainstALaterFailure(t *testing.T) {
	err := mlx.Do(func() error {
		stale, err := mlx.ProbeStaleError()
		require.Contains(t, stale, "empty mlx_array", "the probe's first failure left MLX's message")
		require.EqualError(t, err, "mlx: probe: unknown MLX error (status 1, no message)")

		// A later op failure carries its own message only.
		m := mlx.Matmul(mlx.Zeros(mlx.Float32, 2, 3), mlx.Zeros(mlx.Float32, 2, 3))
		require.False(t, m.Valid())
		require.NotContains(t, mlx.Err().Error(), "empty mlx_array")
		require.ErrorContains(t, mlx.Err(), "Matmul")
		return nil
	})
	require.ErrorContains(t, err, "(2,3)")
}

func TestMemoryCallsReportStatus(t *testing.T) {
	require.NoError(t, mlx.ClearCache())
	require.NoError(t, mlx.ResetPeakMemory())
	require.GreaterOrEqual(t, mlx.ActiveMemory(), int64(0))
	require.GreaterOrEqual(t, mlx.CacheMemory(), int64(0))
	require.GreaterOrEqual(t, mlx.PeakMemory(), mlx.ActiveMemory())
}

func TestInvalidAndFreedArraysHaveNoDtype(t *testing.T) {
	var zero mlx.Array
	require.Equal(t, mlx.InvalidDtype, zero.Dtype())
	require.Equal(t, mlx.InvalidDtype, (*mlx.Array)(nil).Dtype())
	require.Equal(t, "invalid", mlx.InvalidDtype.String())
	require.Equal(t, 0, mlx.InvalidDtype.Size())

	var kept *mlx.Array
	err := mlx.Do(func() error {
		bad := mlx.Reshape(mlx.Zeros(mlx.Float16, 2, 3), 4, 2)
		require.False(t, bad.Valid())
		require.Equal(t, mlx.InvalidDtype, bad.Dtype())
		require.Nil(t, bad.Shape())
		kept = mlx.Zeros(mlx.Float16, 2, 3)
		mlx.Keep(kept)
		return nil
	})
	require.ErrorContains(t, err, "Reshape")
	require.Equal(t, mlx.Float16, kept.Dtype())
	require.Equal(t, []int{2, 3}, kept.Shape())
	require.Equal(t, 6, kept.Size())
	require.Equal(t, 3, kept.Dim(-1))
	require.Equal(t, "Array(float16 [2 3])", kept.String())
	kept.Free()
	require.Equal(t, mlx.InvalidDtype, kept.Dtype())
	require.Equal(t, 0, kept.Size())
	require.Equal(t, "Array(invalid)", kept.String())
}

// Accessors from many goroutines while the worker frees the arrays; run with
// -race to see that nothing touches the handles off the worker.
func TestAccessorsAreSafeWhileFreeRuns(t *testing.T) {
	arrs := make([]*mlx.Array, 64)
	do(t, func() error {
		for i := range arrs {
			arrs[i] = mlx.Zeros(mlx.BFloat16, i+1, 2)
		}
		mlx.Keep(arrs...)
		return nil
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 50; round++ {
				for i, a := range arrs {
					// Each accessor sees the array either live or freed
					// (Free may land between two of them).
					shape, dt, size := a.Shape(), a.Dtype(), a.Size()
					if shape != nil && (len(shape) != 2 || shape[0] != i+1 || shape[1] != 2) ||
						dt != mlx.BFloat16 && dt != mlx.InvalidDtype ||
						size != 0 && size != 2*(i+1) {
						panic(fmt.Sprintf("array %d: %v %v size %d", i, dt, shape, size))
					}
				}
			}
		}()
	}
	for _, a := range arrs {
		a.Free()
	}
	wg.Wait()
	for _, a := range arrs {
		require.False(t, a.Valid())
		require.Equal(t, mlx.InvalidDtype, a.Dtype())
	}
}
