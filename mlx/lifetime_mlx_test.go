//go:build mlx

package mlx_test

import (
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

func TestAvailable(t *testing.T) {
	require.True(t, mlx.Available())
}

func TestManySmallGraphsReturnToBaselineMemory(t *testing.T) {
	graph := func(i int) error {
		x := mlx.FromFloat32s(randn(uint64(i), 256), 16, 16)
		y := mlx.Softmax(mlx.Matmul(x, mlx.Transpose(x)), true, -1)
		z := mlx.Sum(mlx.Mul(y, mlx.AddScalar(y, 1)), false)
		_, err := z.Item()
		return err
	}
	// Warm up (first calls allocate MLX's own long-lived state).
	require.NoError(t, mlx.Do(func() error { return graph(0) }))
	require.NoError(t, mlx.ClearCache())
	baseline := mlx.ActiveMemory()
	live := mlx.LiveArrays()

	for i := 0; i < 1000; i++ {
		require.NoError(t, mlx.Do(func() error { return graph(i) }))
	}
	// The same, with one Do and a Scoped child per graph.
	require.NoError(t, mlx.Do(func() error {
		for i := 0; i < 200; i++ {
			var err error
			mlx.Scoped(func() []*mlx.Array {
				err = graph(i)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}))
	require.Equal(t, baseline, mlx.ActiveMemory(), "active memory after 1200 graphs")
	require.Equal(t, live, mlx.LiveArrays(), "live arrays after 1200 graphs")
	require.Greater(t, mlx.PeakMemory(), int64(0))
}

func TestScopedMovesOnlyReturnedArrays(t *testing.T) {
	var kept, inner, dropped *mlx.Array
	base := mlx.LiveArrays()
	do(t, func() error {
		out := mlx.Scoped(func() []*mlx.Array {
			dropped = mlx.FromFloat32s([]float32{1, 2})
			inner = mlx.AddScalar(dropped, 1) // AddScalar makes a scalar too
			require.Equal(t, base+3, mlx.LiveArrays())
			return []*mlx.Array{inner}
		})
		require.Equal(t, base+1, mlx.LiveArrays(), "only the returned array survives Scoped")
		require.Len(t, out, 1)
		require.False(t, dropped.Valid(), "intermediate freed when Scoped returns")
		require.True(t, inner.Valid(), "returned array moves to the parent scope")
		// The graph stays valid although its input handle was freed.
		requireClose(t, []float32{2, 3}, values(t, inner), 0)
		kept = mlx.MulScalar(inner, 10)
		mlx.Keep(kept)
		return nil
	})
	require.False(t, inner.Valid(), "scope arrays are freed when Do returns")
	require.True(t, kept.Valid(), "kept arrays survive Do")
	require.Equal(t, base+1, mlx.LiveArrays(), "the kept array is the only one left")
	do(t, func() error {
		requireClose(t, []float32{20, 30}, values(t, kept), 0)
		return nil
	})
	kept.Free()
	kept.Free() // twice is fine
	require.False(t, kept.Valid())
	require.Equal(t, base, mlx.LiveArrays())
}

func TestNestedDoRunsInlineWithItsOwnScope(t *testing.T) {
	do(t, func() error {
		outer := mlx.FromFloat32s([]float32{1})
		live := mlx.LiveArrays()
		var inner *mlx.Array
		require.NoError(t, mlx.Do(func() error {
			inner = mlx.AddScalar(outer, 1)
			requireClose(t, []float32{2}, values(t, inner), 0)
			require.Equal(t, live+2, mlx.LiveArrays())
			return nil
		}))
		require.False(t, inner.Valid(), "nested Do frees its own scope")
		require.Equal(t, live, mlx.LiveArrays())
		require.True(t, outer.Valid())
		return nil
	})
}

func TestDoFromManyGoroutines(t *testing.T) {
	var wg sync.WaitGroup
	errs := make([]error, 8)
	sums := make([]float64, 8)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[g] = mlx.Do(func() error {
				var err error
				sums[g], err = mlx.Sum(mlx.Full(float64(g), mlx.Float32, 10), false).Item()
				return err
			})
		}()
	}
	wg.Wait()
	for g := range errs {
		require.NoError(t, errs[g])
		require.Equal(t, float64(10*g), sums[g])
	}
}

func TestShapeErrorsAreStickyAndDoNotKillTheProcess(t *testing.T) {
	err := mlx.Do(func() error {
		a := mlx.FromFloat32s(make([]float32, 6), 2, 3)
		b := mlx.FromFloat32s(make([]float32, 8), 4, 2)
		m := mlx.Matmul(a, b)
		require.False(t, m.Valid())
		// Ops on invalid arrays do nothing; the first error stays.
		n := mlx.Add(mlx.Exp(m), a)
		require.False(t, n.Valid())
		require.Error(t, mlx.Err())
		require.Equal(t, mlx.Err(), mlx.Eval(a))
		_, rerr := n.Float32s()
		require.Error(t, rerr)
		return nil
	})
	require.ErrorContains(t, err, "Matmul")
	require.ErrorContains(t, err, "(2,3)")
	require.ErrorContains(t, err, "(4,2)")

	err = mlx.Do(func() error {
		mlx.Add(mlx.FromFloat32s(make([]float32, 3)), mlx.FromFloat32s(make([]float32, 4)))
		return nil
	})
	require.ErrorContains(t, err, "Add")
	require.ErrorContains(t, err, "broadcast")

	// The process and the worker carry on.
	do(t, func() error {
		requireClose(t, []float32{2}, values(t, mlx.AddScalar(mlx.FromFloat32s([]float32{1}), 1)), 0)
		return nil
	})
}

func TestBadInputsGiveErrorsNotPanics(t *testing.T) {
	err := mlx.Do(func() error {
		mlx.FromFloat32s([]float32{1, 2, 3}, 2, 2)
		return nil
	})
	require.ErrorContains(t, err, "FromFloat32s")
	require.ErrorContains(t, err, "[2 2]")

	err = mlx.Do(func() error {
		mlx.Add(nil, mlx.Scalar(1))
		return nil
	})
	require.ErrorContains(t, err, "argument 1 is nil")

	var freed *mlx.Array
	do(t, func() error {
		freed = mlx.Scalar(1)
		return nil
	})
	err = mlx.Do(func() error {
		mlx.Neg(freed)
		return nil
	})
	require.ErrorContains(t, err, "freed")

	err = mlx.Do(func() error {
		mlx.Reshape(mlx.Zeros(mlx.Float32, 2, 3), 4, 2)
		return nil
	})
	require.ErrorContains(t, err, "Reshape")

	err = mlx.Do(func() error { return mlx.Eval(mlx.SliceAxis(mlx.Zeros(mlx.Float32, 2), 3, 0, 1)) })
	require.ErrorContains(t, err, "axis 3 out of range")

	require.Error(t, mlx.Do(nil))
}

func TestOperationsOutsideDoAreRefused(t *testing.T) {
	a := mlx.Scalar(1)
	require.False(t, a.Valid())
	_, err := a.Float32s()
	require.ErrorContains(t, err, "outside mlx.Do")
	require.ErrorContains(t, mlx.Eval(a), "outside mlx.Do")
	require.NoError(t, mlx.Err())
}

func TestFailNowInsideDoDoesNotKillTheWorker(t *testing.T) {
	err := mlx.Do(func() error {
		runtime.Goexit()
		return nil
	})
	require.ErrorContains(t, err, "Goexit")
	do(t, func() error {
		requireClose(t, []float32{3}, values(t, mlx.AddScalar(mlx.Scalar(1), 2)), 0)
		return nil
	})
}

func TestPanicInsideDoReachesTheCaller(t *testing.T) {
	sentinel := errors.New("boom")
	var got any
	func() {
		defer func() { got = recover() }()
		_ = mlx.Do(func() error { panic(sentinel) })
	}()
	require.NotNil(t, got)
	require.ErrorContains(t, got.(error), "boom")
	do(t, func() error { return mlx.Eval(mlx.Scalar(1)) })
}
