package dit

import "math"

// SinusoidalEmbedding returns the timestep embedding of t with dim channels
// (dim even): with half = dim/2 and angle_j = t·10000^(−j/half),
// [cos(angle_0) … cos(angle_{half−1}), sin(angle_0) … sin(angle_{half−1})].
// It is computed in float64, as upstream does before casting to float32.
func SinusoidalEmbedding(dim int, t float64) []float64 {
	half := dim / 2
	out := make([]float64, 2*half)
	for j := range half {
		angle := t * math.Pow(10000, -float64(j)/float64(half))
		out[j] = math.Cos(angle)
		out[half+j] = math.Sin(angle)
	}
	return out
}

// timestepTable deduplicates per-token timesteps: it returns the distinct
// values in order of first appearance, their float32 sinusoidal embeddings
// (row-major [len(values), dim]) and, for every token, the row it uses.
// Tokens sharing a timestep share the embedding and projection rows, so the
// time MLPs run once per distinct value instead of once per token.
func timestepTable(dim int, ts []float32) (values []float64, table []float32, index []int32) {
	rows := make(map[float32]int32)
	index = make([]int32, len(ts))
	for i, t := range ts {
		r, ok := rows[t]
		if !ok {
			r = int32(len(values))
			rows[t] = r
			values = append(values, float64(t))
			for _, v := range SinusoidalEmbedding(dim, float64(t)) {
				table = append(table, float32(v))
			}
		}
		index[i] = r
	}
	return values, table, index
}
