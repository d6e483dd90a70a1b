//go:build mlx

package mlx_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

func le16(v ...uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

func TestDtypeBitPatternsRoundTrip(t *testing.T) {
	do(t, func() error {
		// bfloat16: 1.0, -2.0, +Inf, smallest subnormal, 3.140625.
		bf := le16(0x3f80, 0xc000, 0x7f80, 0x0001, 0x4049)
		a := mlx.FromBytes(bf, mlx.BFloat16)
		require.Equal(t, mlx.BFloat16, a.Dtype())
		require.Equal(t, []int{5}, a.Shape())
		raw, err := a.Bytes()
		require.NoError(t, err)
		require.Equal(t, bf, raw)
		requireClose(t, []float32{1, -2, float32(math.Inf(1)), math.Float32frombits(0x00010000), 3.140625}, values(t, a)[:5], 0)

		// float16: 1.0, -0.5, 65504 (max), smallest subnormal.
		hf := le16(0x3c00, 0xb800, 0x7bff, 0x0001)
		h := mlx.FromBytes(hf, mlx.Float16, 2, 2)
		raw, err = h.Bytes()
		require.NoError(t, err)
		require.Equal(t, hf, raw)
		requireClose(t, []float32{1, -0.5, 65504, 5.960464477539063e-08}, values(t, h), 0)

		// float32 through bfloat16 rounds to nearest even.
		f := mlx.FromFloat32s([]float32{1.00390625, 1.01171875, -3.3})
		rb, err := mlx.AsType(f, mlx.BFloat16).Bytes()
		require.NoError(t, err)
		require.Equal(t, le16(0x3f80, 0x3f82, 0xc053), rb)

		f32 := []float32{float32(math.Inf(-1)), -0.0, 1e-45, math.MaxFloat32}
		raw, err = mlx.FromFloat32s(f32).Bytes()
		require.NoError(t, err)
		for i, v := range f32 {
			require.Equal(t, math.Float32bits(v), binary.LittleEndian.Uint32(raw[4*i:]))
		}

		i32 := []int32{math.MinInt32, -1, 0, math.MaxInt32}
		got32, err := mlx.FromInt32s(i32).Int32s()
		require.NoError(t, err)
		require.Equal(t, i32, got32)

		i64 := []int64{math.MinInt64, -1, 1 << 53, math.MaxInt64}
		raw, err = mlx.FromInt64s(i64, 2, 2).Bytes()
		require.NoError(t, err)
		for i, v := range i64 {
			require.Equal(t, uint64(v), binary.LittleEndian.Uint64(raw[8*i:]))
		}

		bools := mlx.FromBools([]bool{true, false, false, true})
		raw, err = bools.Bytes()
		require.NoError(t, err)
		require.Equal(t, []byte{1, 0, 0, 1}, raw)
		require.Equal(t, mlx.Bool, bools.Dtype())

		f64 := mlx.FromFloat64s([]float64{math.Pi, -1e300})
		require.Equal(t, mlx.Float64, f64.Dtype())
		raw, err = f64.Bytes()
		require.NoError(t, err)
		require.Equal(t, math.Float64bits(math.Pi), binary.LittleEndian.Uint64(raw))
		return nil
	})
}

func TestScalarOfRoundsLikeMLX(t *testing.T) {
	do(t, func() error {
		for _, dt := range []mlx.Dtype{mlx.BFloat16, mlx.Float16, mlx.Float32} {
			// ScalarOf encodes in Go; AsType converts in MLX: both must agree.
			for _, v := range []float64{0.1, -3.3, 1.00390625, 65519, 1e-7} {
				mine, err := mlx.ScalarOf(v, dt).Bytes()
				require.NoError(t, err)
				theirs, err := mlx.AsType(mlx.FromFloat32s([]float32{float32(v)}), dt).Bytes()
				require.NoError(t, err)
				require.Equal(t, theirs, mine, "%v of %v", dt, v)
			}
		}
		for _, dt := range []mlx.Dtype{mlx.Int8, mlx.Uint8, mlx.Int16, mlx.Int32, mlx.Int64, mlx.Uint32} {
			v, err := mlx.ScalarOf(7, dt).Item()
			require.NoError(t, err)
			require.Equal(t, 7.0, v, "%v", dt)
			require.Equal(t, dt, mlx.ScalarOf(7, dt).Dtype())
		}
		b, err := mlx.ScalarOf(2, mlx.Bool).Item()
		require.NoError(t, err)
		require.Equal(t, 1.0, b)
		return nil
	})
}
