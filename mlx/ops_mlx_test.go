//go:build mlx

package mlx_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

func TestArithmeticMatchesHandComputedValues(t *testing.T) {
	do(t, func() error {
		a := mlx.FromFloat32s([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
		b := mlx.FromFloat32s([]float32{10, 20, 30}, 3)
		requireClose(t, []float32{11, 22, 33, 14, 25, 36}, values(t, mlx.Add(a, b)), 0)
		requireClose(t, []float32{-9, -18, -27, -6, -15, -24}, values(t, mlx.Sub(a, b)), 0)
		requireClose(t, []float32{10, 40, 90, 40, 100, 180}, values(t, mlx.Mul(a, b)), 0)
		requireClose(t, []float32{0.1, 0.1, 0.1, 0.4, 0.25, 0.2}, values(t, mlx.Div(a, b)), 1e-7)
		requireClose(t, []float32{3, 4, 5, 6, 7, 8}, values(t, mlx.AddScalar(a, 2)), 0)
		requireClose(t, []float32{-0.5, -1, -1.5, -2, -2.5, -3}, values(t, mlx.MulScalar(a, -0.5)), 0)
		requireClose(t, []float32{1, 4, 9, 16, 25, 36}, values(t, mlx.Square(a)), 0)
		requireClose(t, []float32{2, 2, 3}, values(t, mlx.Maximum(mlx.FromFloat32s([]float32{1, 2, 3}), mlx.Scalar(2))), 0)
		requireClose(t, []float32{1, 2, 2}, values(t, mlx.Minimum(mlx.FromFloat32s([]float32{1, 2, 3}), mlx.Scalar(2))), 0)

		x := mlx.FromFloat32s([]float32{-1.5, 0, 0.5, 2})
		requireClose(t, []float32{1.5, 0, -0.5, -2}, values(t, mlx.Neg(x)), 0)
		requireClose(t, []float32{1.5, 0, 0.5, 2}, values(t, mlx.Abs(x)), 0)
		requireClose(t, []float32{-2, 0, 0, 2}, values(t, mlx.Floor(x)), 0)
		want := func(f func(float64) float64) []float32 {
			out := []float32{}
			for _, v := range []float64{-1.5, 0, 0.5, 2} {
				out = append(out, float32(f(v)))
			}
			return out
		}
		requireClose(t, want(math.Exp), values(t, mlx.Exp(x)), 1e-5)
		requireClose(t, want(math.Tanh), values(t, mlx.Tanh(x)), 1e-6)
		requireClose(t, want(math.Sin), values(t, mlx.Sin(x)), 1e-6)
		requireClose(t, want(math.Cos), values(t, mlx.Cos(x)), 1e-6)
		requireClose(t, want(math.Erf), values(t, mlx.Erf(x)), 1e-6)
		requireClose(t, want(func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }), values(t, mlx.Sigmoid(x)), 1e-6)

		p := mlx.FromFloat32s([]float32{1, 4, 16})
		requireClose(t, []float32{1, 2, 4}, values(t, mlx.Sqrt(p)), 0)
		requireClose(t, []float32{1, 0.5, 0.25}, values(t, mlx.Rsqrt(p)), 1e-6)
		requireClose(t, []float32{0, float32(math.Log(4)), float32(math.Log(16))}, values(t, mlx.Log(p)), 1e-6)
		requireClose(t, []float32{1, 8, 27}, values(t, mlx.Power(mlx.FromFloat32s([]float32{1, 2, 3}), mlx.Scalar(3))), 1e-5)
		return nil
	})
}

func TestMatmulAndAddmm(t *testing.T) {
	do(t, func() error {
		a := mlx.FromFloat32s([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
		b := mlx.FromFloat32s([]float32{7, 8, 9, 10, 11, 12}, 3, 2)
		// [1 2 3; 4 5 6] x [7 8; 9 10; 11 12] = [58 64; 139 154]
		m := mlx.Matmul(a, b)
		require.Equal(t, []int{2, 2}, m.Shape())
		requireClose(t, []float32{58, 64, 139, 154}, values(t, m), 0)
		c := mlx.FromFloat32s([]float32{1, 1, 1, 1}, 2, 2)
		requireClose(t, []float32{2*58 + 3, 2*64 + 3, 2*139 + 3, 2*154 + 3}, values(t, mlx.Addmm(c, a, b, 2, 3)), 1e-4)
		return nil
	})
}

func TestComparisonsAndWhere(t *testing.T) {
	do(t, func() error {
		a := mlx.FromFloat32s([]float32{1, 2, 3})
		b := mlx.FromFloat32s([]float32{2, 2, 2})
		check := func(got *mlx.Array, want ...float32) {
			t.Helper()
			require.Equal(t, mlx.Bool, got.Dtype())
			requireClose(t, want, values(t, got), 0)
		}
		check(mlx.Equal(a, b), 0, 1, 0)
		check(mlx.Less(a, b), 1, 0, 0)
		check(mlx.LessEqual(a, b), 1, 1, 0)
		check(mlx.Greater(a, b), 0, 0, 1)
		check(mlx.GreaterEqual(a, b), 0, 1, 1)
		check(mlx.LogicalNot(mlx.Less(a, b)), 0, 1, 1)
		requireClose(t, []float32{2, 2, 3}, values(t, mlx.Where(mlx.Less(a, b), b, a)), 0)

		nan := float32(math.NaN())
		inf := float32(math.Inf(1))
		s := mlx.FromFloat32s([]float32{nan, inf, 1})
		check(mlx.IsNaN(s), 1, 0, 0)
		check(mlx.IsInf(s), 0, 1, 0)
		return nil
	})
}

func TestReductionsAndSoftmax(t *testing.T) {
	do(t, func() error {
		a := mlx.FromFloat32s([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
		requireClose(t, []float32{21}, values(t, mlx.Sum(a, false)), 0)
		requireClose(t, []float32{5, 7, 9}, values(t, mlx.Sum(a, false, 0)), 0)
		s := mlx.Sum(a, true, 1)
		require.Equal(t, []int{2, 1}, s.Shape())
		requireClose(t, []float32{6, 15}, values(t, s), 0)
		requireClose(t, []float32{2, 5}, values(t, mlx.Mean(a, false, -1)), 0)
		requireClose(t, []float32{6}, values(t, mlx.Max(a, false)), 0)
		requireClose(t, []float32{1, 4}, values(t, mlx.Min(a, false, 1)), 0)
		requireClose(t, []float32{2.0 / 3, 2.0 / 3}, values(t, mlx.Var(a, false, 0, 1)), 1e-6)
		requireClose(t, []float32{1, 1}, values(t, mlx.Var(a, false, 1, 1)), 1e-6)
		requireClose(t, []float32{2, 2}, values(t, mlx.Argmax(a, 1, false)), 0)

		v, err := mlx.Sum(a, false).Item()
		require.NoError(t, err)
		require.Equal(t, 21.0, v)

		sm := values(t, mlx.Softmax(a, true, -1))
		e := []float64{math.Exp(-2), math.Exp(-1), 1}
		z := e[0] + e[1] + e[2]
		want := []float32{float32(e[0] / z), float32(e[1] / z), float32(e[2] / z)}
		requireClose(t, append(want, want...), sm, 1e-6)
		return nil
	})
}

func TestCreation(t *testing.T) {
	do(t, func() error {
		z := mlx.Zeros(mlx.BFloat16, 2, 2)
		require.Equal(t, mlx.BFloat16, z.Dtype())
		requireClose(t, []float32{0, 0, 0, 0}, values(t, z), 0)
		requireClose(t, []float32{1, 1, 1}, values(t, mlx.Ones(mlx.Float32, 3)), 0)
		f := mlx.Full(2.5, mlx.Float16, 2)
		require.Equal(t, mlx.Float16, f.Dtype())
		requireClose(t, []float32{2.5, 2.5}, values(t, f), 0)
		r := mlx.Arange(0, 5, 1.5, mlx.Float32)
		requireClose(t, []float32{0, 1.5, 3, 4.5}, values(t, r), 0)
		i := mlx.Arange(2, 6, 1, mlx.Int32)
		iv, err := i.Int32s()
		require.NoError(t, err)
		require.Equal(t, []int32{2, 3, 4, 5}, iv)

		s := mlx.Scalar(3)
		require.Equal(t, []int{}, s.Shape())
		require.Equal(t, 1, s.Size())
		x, err := mlx.ScalarOf(-7, mlx.Int64).Item()
		require.NoError(t, err)
		require.Equal(t, -7.0, x)
		d, err := mlx.ScalarOf(0.1, mlx.Float64).Item()
		require.NoError(t, err)
		require.Equal(t, 0.1, d)
		return nil
	})
}

func TestDtypeNamesAndSizes(t *testing.T) {
	require.Equal(t, "bfloat16", mlx.BFloat16.String())
	require.Equal(t, 2, mlx.BFloat16.Size())
	require.Equal(t, 8, mlx.Int64.Size())
	require.Equal(t, 1, mlx.Bool.Size())
	require.Equal(t, "gpu", mlx.GPU.String())
}
