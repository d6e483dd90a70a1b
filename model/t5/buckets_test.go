package t5

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Hand-computed: with 32 buckets each direction has 16; distances below 8 are
// exact and from 8 on the bucket is 8 + floor(2·log2(d/8)), i.e. the bucket
// grows at d = 8·√2^j: 8, 11.3, 16, 22.6, 32, 45.3, 64, 90.5, 128 (clamped).
// Keys after the query (relPos > 0) add 16.
func TestRelativeBucketHandComputed(t *testing.T) {
	cases := []struct{ rel, want int }{
		{0, 0},
		{-1, 1}, {1, 17},
		{-7, 7}, {7, 23},
		{-8, 8}, {8, 24},
		{-11, 8}, {-12, 9}, {12, 25},
		{-15, 9}, {-16, 10}, {16, 26},
		{-22, 10}, {-23, 11},
		{-31, 11}, {-32, 12}, {32, 28},
		{-45, 12}, {-46, 13},
		{-63, 13}, {-64, 14},
		{-90, 14}, {-91, 15},
		{-127, 15}, {127, 31},
		{-128, 15}, {128, 31},
		{-129, 15}, {-1000, 15}, {1000, 31}, {-1 << 40, 15}, {1 << 40, 31},
	}
	for _, c := range cases {
		require.Equal(t, c.want, RelativeBucket(c.rel, 32, 128), "relPos %d", c.rel)
	}
}

func TestRelativeBucketOtherSizes(t *testing.T) {
	// 8 buckets, max distance 16: 4 per direction, exact below 2,
	// 2 + floor(2·ln(d/2)/ln 8): the bucket grows at d = 2·√8 ≈ 5.66, so
	// d=2..5 → 2 (d=5: 0.88), d=6..15 → 3 (d=6: 1.06), d >= 16 → 3 (clamped).
	cases := []struct{ rel, want int }{{0, 0}, {-1, 1}, {1, 5}, {-2, 2}, {-5, 2}, {5, 6}, {-6, 3}, {-15, 3}, {-16, 3}, {100, 7}}
	for _, c := range cases {
		require.Equal(t, c.want, RelativeBucket(c.rel, 8, 16), "relPos %d", c.rel)
	}
}

// Upstream computes the logarithmic part in float32; below maxDistance the
// float64 evaluation must give the same buckets.
func TestRelativeBucketMatchesFloat32Evaluation(t *testing.T) {
	const exact, half = 8, 16
	c := float32(math.Log(128.0 / exact))
	for d := exact; d < 128; d++ {
		l := float32(math.Log(float64(float32(d) / exact)))
		b := exact + int(l/c*float32(half-exact))
		require.Equal(t, b, RelativeBucket(-d, 32, 128), "distance %d", d)
	}
}

func TestBucketTable(t *testing.T) {
	table := BucketTable(3, 4, 32, 128)
	// rows: query 0..2; columns: key 0..3; entry = bucket(k − q).
	require.Equal(t, []int32{
		0, 17, 18, 19,
		1, 0, 17, 18,
		2, 1, 0, 17,
	}, table)

	long := BucketTable(300, 300, 32, 128)
	require.Len(t, long, 300*300)
	require.Equal(t, int32(31), long[0*300+299]) // key 299 after query 0
	require.Equal(t, int32(15), long[299*300+0]) // key 0 before query 299
	require.Equal(t, int32(10), long[20*300+4])  // relPos −16
	require.Equal(t, int32(26), long[4*300+20])  // relPos +16
}
