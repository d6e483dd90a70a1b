//go:build mlx

package mlx_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mlx"
)

// iota32 returns 0, 1, ..., n-1 as float32.
func iota32(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i)
	}
	return out
}

func TestReshapeTransposeAndFriends(t *testing.T) {
	do(t, func() error {
		a := mlx.FromFloat32s(iota32(6), 2, 3)
		tr := mlx.Transpose(a)
		require.Equal(t, []int{3, 2}, tr.Shape())
		requireClose(t, []float32{0, 3, 1, 4, 2, 5}, values(t, tr), 0)

		b := mlx.Reshape(mlx.FromFloat32s(iota32(24)), 2, 3, 4)
		p := mlx.Transpose(b, 2, 0, 1)
		require.Equal(t, []int{4, 2, 3}, p.Shape())
		pv := values(t, p)
		require.Equal(t, float32(index([]int{2, 3, 4}, 1, 2, 3)), pv[index([]int{4, 2, 3}, 3, 1, 2)])

		require.Equal(t, []int{2, 12}, mlx.Reshape(b, 2, -1).Shape())
		require.Equal(t, []int{6, 4}, mlx.Flatten(b, 0, 1).Shape())
		require.Equal(t, []int{24}, mlx.Flatten(b, 0, -1).Shape())
		e := mlx.ExpandDims(a, 0, -1)
		require.Equal(t, []int{1, 2, 3, 1}, e.Shape())
		require.Equal(t, []int{2, 3}, mlx.Squeeze(e).Shape())
		require.Equal(t, []int{2, 3, 1}, mlx.Squeeze(e, 0).Shape())
		require.Equal(t, 3, e.Dim(-2))
		require.Equal(t, 4, e.Ndim())

		bc := mlx.BroadcastTo(mlx.FromFloat32s([]float32{1, 2, 3}), 2, 3)
		requireClose(t, []float32{1, 2, 3, 1, 2, 3}, values(t, bc), 0)
		requireClose(t, []float32{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}, values(t, mlx.Tile(a, 1, 2)), 0)
		return nil
	})
}

func TestSliceVariants(t *testing.T) {
	do(t, func() error {
		a := mlx.FromFloat32s(iota32(12), 3, 4)
		s := mlx.Slice(a, []int{1, 1}, []int{3, 3})
		require.Equal(t, []int{2, 2}, s.Shape())
		requireClose(t, []float32{5, 6, 9, 10}, values(t, s), 0)
		requireClose(t, []float32{1, 3, 9, 11}, values(t, mlx.SliceStrided(a, []int{0, 1}, []int{3, 4}, []int{2, 2})), 0)
		requireClose(t, []float32{4, 5, 6, 7, 8, 9, 10, 11}, values(t, mlx.SliceAxis(a, 0, 1, 3)), 0)
		// Python-style negatives: last column, a[:, -1:].
		last := mlx.SliceAxis(a, -1, -1, 4)
		require.Equal(t, []int{3, 1}, last.Shape())
		requireClose(t, []float32{3, 7, 11}, values(t, last), 0)
		// a[:, 1:-1]
		requireClose(t, []float32{1, 2, 5, 6, 9, 10}, values(t, mlx.SliceAxis(a, 1, 1, -1)), 0)
		return nil
	})
}

func TestSplitConcatenateStack(t *testing.T) {
	do(t, func() error {
		a := mlx.FromFloat32s(iota32(12), 2, 6)
		parts := mlx.Split(a, 3, 1)
		require.Len(t, parts, 3)
		for i, p := range parts {
			require.Equal(t, []int{2, 2}, p.Shape())
			requireClose(t, []float32{float32(2 * i), float32(2*i + 1), float32(6 + 2*i), float32(7 + 2*i)}, values(t, p), 0)
		}
		at := mlx.SplitAt(a, []int{1, 4}, -1)
		require.Len(t, at, 3)
		require.Equal(t, []int{2, 1}, at[0].Shape())
		require.Equal(t, []int{2, 3}, at[1].Shape())
		require.Equal(t, []int{2, 2}, at[2].Shape())
		requireClose(t, []float32{4, 5, 10, 11}, values(t, at[2]), 0)

		back := mlx.Concatenate(1, parts[2], parts[0], parts[1])
		requireClose(t, []float32{4, 5, 0, 1, 2, 3, 10, 11, 6, 7, 8, 9}, values(t, back), 0)
		rows := mlx.Concatenate(0, a, a)
		require.Equal(t, []int{4, 6}, rows.Shape())

		st := mlx.Stack(0, parts[0], parts[1])
		require.Equal(t, []int{2, 2, 2}, st.Shape())
		st1 := mlx.Stack(-1, parts[0], parts[1])
		require.Equal(t, []int{2, 2, 2}, st1.Shape())
		requireClose(t, []float32{0, 2, 1, 3, 6, 8, 7, 9}, values(t, st1), 0)
		return nil
	})
	// Split into unequal parts fails with an error and still gives 4 handles.
	err := mlx.Do(func() error {
		p := mlx.Split(mlx.Zeros(mlx.Float32, 5), 4, 0)
		require.Len(t, p, 4)
		require.False(t, p[3].Valid())
		return nil
	})
	require.ErrorContains(t, err, "Split")
}

func TestPadTakeRepeat(t *testing.T) {
	do(t, func() error {
		a := mlx.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2)
		p := mlx.Pad(a, []int{0, 1}, []int{1, 0}, []int{0, 2}, -1)
		require.Equal(t, []int{3, 4}, p.Shape())
		requireClose(t, []float32{-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1}, values(t, p), 0)
		pb := mlx.Pad(mlx.AsType(a, mlx.BFloat16), []int{1}, []int{1}, []int{1}, 0.5)
		require.Equal(t, mlx.BFloat16, pb.Dtype())
		requireClose(t, []float32{0.5, 1, 2, 0.5, 0.5, 3, 4, 0.5}, values(t, pb), 0)

		table := mlx.FromFloat32s(iota32(8), 4, 2)
		rows := mlx.Take(table, mlx.FromInt32s([]int32{3, 0, 3}), 0)
		require.Equal(t, []int{3, 2}, rows.Shape())
		requireClose(t, []float32{6, 7, 0, 1, 6, 7}, values(t, rows), 0)
		ids := mlx.FromInt64s([]int64{1, 2, 0, 1}, 2, 2)
		emb := mlx.Take(table, ids, 0)
		require.Equal(t, []int{2, 2, 2}, emb.Shape())
		requireClose(t, []float32{2, 3, 4, 5, 0, 1, 2, 3}, values(t, emb), 0)
		cols := mlx.Take(table, mlx.FromInt32s([]int32{1}), 1)
		requireClose(t, []float32{1, 3, 5, 7}, values(t, cols), 0)

		r := mlx.Repeat(a, 2, 0)
		require.Equal(t, []int{4, 2}, r.Shape())
		requireClose(t, []float32{1, 2, 1, 2, 3, 4, 3, 4}, values(t, r), 0)
		requireClose(t, []float32{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}, values(t, mlx.Repeat(a, 3, 1)), 0)
		return nil
	})
}
