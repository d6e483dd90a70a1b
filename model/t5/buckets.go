package t5

import "math"

// RelativeBucket maps a relative position relPos = key position − query
// position to its bidirectional bucket, as the encoder's relative position
// embedding does (numBuckets even, >= 4; maxDistance > numBuckets/4):
//
//   - half of the buckets serve each direction: keys before or at the query
//     (relPos <= 0) use buckets [0, half), keys after it (relPos > 0) use
//     [half, numBuckets), where half = numBuckets/2;
//   - within a direction, with d = |relPos| and exact = half/2, distances
//     d < exact have their own bucket d;
//   - distances exact <= d use exact + floor(ln(d/exact) / ln(maxDistance/exact)
//     × (half − exact)), a logarithmic scale reaching the direction's last
//     bucket at d = maxDistance, and clamped to that last bucket beyond it.
//
// For 32 buckets and maxDistance 128: relPos −7 → 7, +7 → 23, −8 → 8,
// −16 → 10, −127 → 15, −1000 → 15, +1000 → 31.
//
// Upstream evaluates the logarithm in float32; for every distance below
// maxDistance the float64 evaluation here gives the same buckets (tested), and
// at or beyond maxDistance both clamp to the last bucket.
func RelativeBucket(relPos, numBuckets, maxDistance int) int {
	half := numBuckets / 2
	bucket := 0
	if relPos > 0 {
		bucket = half
	}
	d := relPos
	if d < 0 {
		d = -d
	}
	exact := half / 2
	if d < exact {
		return bucket + d
	}
	if d >= maxDistance { // avoids the logarithm for huge distances; same result
		return bucket + half - 1
	}
	scaled := math.Log(float64(d)/float64(exact)) / math.Log(float64(maxDistance)/float64(exact)) *
		float64(half-exact)
	b := exact + int(scaled)
	if b > half-1 {
		b = half - 1
	}
	return bucket + b
}

// BucketTable returns the buckets of every (query, key) pair of a lq × lk
// attention, row-major by query: entry q*lk+k is
// RelativeBucket(k−q, numBuckets, maxDistance).
func BucketTable(lq, lk, numBuckets, maxDistance int) []int32 {
	table := make([]int32, 0, lq*lk)
	for q := 0; q < lq; q++ {
		for k := 0; k < lk; k++ {
			table = append(table, int32(RelativeBucket(k-q, numBuckets, maxDistance)))
		}
	}
	return table
}
