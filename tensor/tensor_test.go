package tensor

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Every dtype has both spellings, a size, and parses back from either.
func TestDTypeSpellings(t *testing.T) {
	want := map[DType][3]any{
		Bool: {"BOOL", "bool", 1}, U8: {"U8", "uint8", 1}, I8: {"I8", "int8", 1}, I16: {"I16", "int16", 2},
		I32: {"I32", "int32", 4}, I64: {"I64", "int64", 8}, F16: {"F16", "float16", 2}, BF16: {"BF16", "bfloat16", 2},
		F32: {"F32", "float32", 4}, F64: {"F64", "float64", 8}, U32: {"U32", "uint32", 4},
	}
	require.Len(t, dtypeSizes, len(want))
	for d, w := range want {
		require.Equal(t, w[0], d.String())
		require.Equal(t, w[1], d.Name())
		require.Equal(t, w[2], d.Size(), d.Name())
		require.True(t, d.Valid())
		got, err := ParseSafetensorsDType(w[0].(string))
		require.NoError(t, err)
		require.Equal(t, d, got)
		got, err = ParseDType(w[1].(string))
		require.NoError(t, err)
		require.Equal(t, d, got)
	}
	require.False(t, U32.IsFloat())
	require.Equal(t, int64(5120*1728*4), NumBytes([]int64{5120, 1728}, U32))
	_, err := ParseSafetensorsDType("U16")
	require.ErrorContains(t, err, `unknown dtype "U16"`)
	require.False(t, Invalid.Valid())
}
