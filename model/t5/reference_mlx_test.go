//go:build mlx

package t5

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/internal/detrand"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
)

// A small float64 implementation of the encoder written straight from the
// upstream formulas, to check the MLX network on a configuration the golden
// data does not cover: odd sizes, sequences longer than max_distance (so the
// clamped buckets are used) and padding in the middle of the key range.

type refWeights map[string][]float64

// randomWeights fills every required tensor with deterministic values in
// [−scale, scale) (norm weights around 1).
func randomWeights(a *mapping.T5Arch, seed uint64) refWeights {
	w := refWeights{}
	g := detrand.New(seed)
	for _, s := range a.RequiredMLX() {
		vals := make([]float64, s.NumElements())
		for i := range vals {
			u := float64(g.Uint64()>>40) / (1 << 24) // [0, 1), exact in float32
			if len(s.Shape) == 1 {
				vals[i] = 0.75 + 0.5*u
			} else {
				vals[i] = (2*u - 1) * 0.5
			}
		}
		w[s.Name] = vals
	}
	return w
}

func refRMS(x [][]float64, weight []float64, eps float64) [][]float64 {
	out := make([][]float64, len(x))
	for l, row := range x {
		var ms float64
		for _, v := range row {
			ms += v * v
		}
		r := 1 / math.Sqrt(ms/float64(len(row))+eps)
		out[l] = make([]float64, len(row))
		for i, v := range row {
			out[l][i] = v * r * weight[i]
		}
	}
	return out
}

// refLinear is x·wᵀ with w stored [out, in].
func refLinear(x [][]float64, w []float64, out int) [][]float64 {
	res := make([][]float64, len(x))
	for l, row := range x {
		res[l] = make([]float64, out)
		for o := 0; o < out; o++ {
			var s float64
			for i, v := range row {
				s += v * w[o*len(row)+i]
			}
			res[l][o] = s
		}
	}
	return res
}

// refEncode runs the encoder of architecture cfg in float64, with relative
// distances from maxDistance on sharing the last bucket.
func refEncode(cfg *mapping.T5Arch, maxDistance int, w refWeights, ids, mask []int32) [][]float64 {
	L, hd := len(ids), cfg.HeadDim()
	x := make([][]float64, L)
	for l, id := range ids {
		x[l] = append([]float64(nil), w[nameTokenEmbedding][int(id)*cfg.Dim:(int(id)+1)*cfg.Dim]...)
	}
	for k := 0; k < cfg.NumLayers; k++ {
		n := namesOfBlock(k)
		h := refRMS(x, w[n.Norm1], mapping.T5Eps)
		q, kk, v := refLinear(h, w[n.Q], cfg.DimAttn), refLinear(h, w[n.K], cfg.DimAttn), refLinear(h, w[n.V], cfg.DimAttn)
		ctx := make([][]float64, L)
		for i := range ctx {
			ctx[i] = make([]float64, cfg.DimAttn)
		}
		for head := 0; head < cfg.NumHeads; head++ {
			for i := 0; i < L; i++ {
				logits := make([]float64, L)
				maxLogit := math.Inf(-1)
				for j := 0; j < L; j++ {
					if mask[j] == 0 {
						continue
					}
					var s float64
					for c := 0; c < hd; c++ {
						s += q[i][head*hd+c] * kk[j][head*hd+c]
					}
					s += w[n.PosEmbedding][RelativeBucket(j-i, cfg.NumBuckets, maxDistance)*cfg.NumHeads+head]
					logits[j] = s
					maxLogit = math.Max(maxLogit, s)
				}
				var total float64
				for j := 0; j < L; j++ {
					if mask[j] != 0 {
						logits[j] = math.Exp(logits[j] - maxLogit)
						total += logits[j]
					}
				}
				for j := 0; j < L; j++ {
					if mask[j] == 0 {
						continue
					}
					for c := 0; c < hd; c++ {
						ctx[i][head*hd+c] += logits[j] / total * v[j][head*hd+c]
					}
				}
			}
		}
		o := refLinear(ctx, w[n.O], cfg.Dim)
		for l := range x {
			for i := range x[l] {
				x[l][i] += o[l][i]
			}
		}
		h = refRMS(x, w[n.Norm2], mapping.T5Eps)
		gate, fc1 := refLinear(h, w[n.Gate], cfg.DimFFN), refLinear(h, w[n.FC1], cfg.DimFFN)
		for l := range gate {
			for i, g := range gate[l] {
				gelu := 0.5 * g * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(g+0.044715*g*g*g)))
				fc1[l][i] *= gelu
			}
		}
		f := refLinear(fc1, w[n.FC2], cfg.Dim)
		for l := range x {
			for i := range x[l] {
				x[l][i] += f[l][i]
			}
		}
	}
	return refRMS(x, w[nameFinalNorm], mapping.T5Eps)
}

func TestEncodeMatchesFloat64ReferenceWithClampedBuckets(t *testing.T) {
	requireMLX(t)
	// max_distance is mapping.T5MaxDistance (128) in every real encoder; the
	// test lowers the model's copy to 10 so that a short sequence reaches the
	// clamped buckets.
	const maxDistance = 10
	cfg := &mapping.T5Arch{Vocab: 37, Dim: 20, DimAttn: 12, DimFFN: 28, NumHeads: 3, NumLayers: 2, NumBuckets: 8}
	require.NoError(t, cfg.Validate())
	w := randomWeights(cfg, 11)
	const L = 29 // distances up to 28 > max_distance 10
	ids, mask, err := SyntheticTokens(cfg.Vocab, L, L, 5)
	require.NoError(t, err)
	for _, j := range []int{4, 13, 14, 27} { // padding among real keys
		mask[j] = 0
	}
	want := refEncode(cfg, maxDistance, w, ids, mask)

	var got []float32
	var newErr error
	require.NoError(t, mlx.Do(func() error {
		arrays := map[string]*mlx.Array{}
		for _, s := range cfg.RequiredMLX() {
			vals := make([]float32, len(w[s.Name]))
			for i, v := range w[s.Name] {
				vals[i] = float32(v)
			}
			shape := make([]int, len(s.Shape))
			for i, d := range s.Shape {
				shape[i] = int(d)
			}
			arrays[s.Name] = mlx.FromFloat32s(vals, shape...)
		}
		var m *Model
		if m, newErr = New(cfg, arrays, Options{}); newErr != nil {
			return nil
		}
		defer m.Free()
		m.maxDistance = maxDistance
		y, err := m.Encode(mlx.FromInt32s(ids, 1, L), mlx.FromInt32s(mask, 1, L))
		if err != nil {
			return err
		}
		got, err = y.Float32s()
		return err
	}))
	require.NoError(t, newErr)
	flat := make([]float32, 0, L*cfg.Dim)
	for _, row := range want {
		for _, v := range row {
			flat = append(flat, float32(v))
		}
	}
	maxAbs, std := errorStats(t, got, flat)
	t.Logf("float64 reference: max|err| = %.3g, /std = %.3g", maxAbs, maxAbs/std)
	require.LessOrEqual(t, maxAbs/std, 1e-5)

	// The same check fails when the buckets are not clamped: the reference
	// with a larger max_distance differs visibly.
	other := refEncode(cfg, 64, w, ids, mask)
	var diff float64
	for l := range other {
		for i := range other[l] {
			diff = math.Max(diff, math.Abs(other[l][i]-want[l][i]))
		}
	}
	require.Greater(t, diff/std, 1e-3)
}
