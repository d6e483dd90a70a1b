//go:build mlx

package dit

import (
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// A quantized checkpoint stores the attention and FFN Linears as MLX
// affine-quantized triplets (mapping.SplitQuantizedDiT): <p>.weight uint32
// codes, <p>.scales and <p>.biases. The model runs them through
// mlx.QuantizedMatmul on the codes as stored; with
// Options.DequantizeLinears it instead dequantizes each weight in the
// compute dtype inside the forward pass and runs the dense matmul, which
// separates what the quantized kernel adds from what the quantization
// itself costs.

// quantLinear is the quantized part of a linear layer.
type quantLinear struct {
	scales, biases  *mlx.Array
	groupSize, bits int
	dequantize      bool
}

// describe lists the weights for package mapping: a quantized DiT's
// triplets as the dense weights they stand for. stated is config.json's
// quantization entry (nil: none; read off the shapes). The problems of the
// triplets join odd.
func describe(ws map[string]*mlx.Array, configJSON []byte) ([]tensor.Info, []mapping.Problem, *mapping.QuantizedDiT) {
	infos, odd := weights.Describe(ws)
	stated, err := mapping.QuantizationOf(configJSON)
	if err != nil {
		return infos, append(odd, mapping.Problem{Kind: mapping.ProblemQuantized, Detail: err.Error()}), nil
	}
	if !mapping.IsQuantizedDiT(infos, stated) {
		return infos, odd, nil
	}
	q, probs := mapping.SplitQuantizedDiT(mapping.LayoutWanconv, infos, stated)
	return q.Dense, append(odd, probs...), q
}

// describeInfos is describe for stored tensor descriptions (LoadStreamed):
// a quantized DiT's set as the dense weights its Linears stand for, its
// problems as a *mapping.PlanError.
func describeInfos(infos []tensor.Info, configJSON []byte) ([]tensor.Info, *mapping.QuantizedDiT, error) {
	stated, err := mapping.QuantizationOf(configJSON)
	if err != nil {
		return nil, nil, err
	}
	if !mapping.IsQuantizedDiT(infos, stated) {
		return infos, nil, nil
	}
	q, probs := mapping.SplitQuantizedDiT(mapping.LayoutWanconv, infos, stated)
	if len(probs) > 0 {
		return nil, nil, &mapping.PlanError{Component: mapping.ComponentDiT, Problems: probs}
	}
	return q.Dense, q, nil
}

// setQuantized records a quantized checkpoint's Linears (q nil: dense).
func (m *Model) setQuantized(q *mapping.QuantizedDiT) {
	m.quant, m.qlin = q, map[string]mapping.QuantizedLinear{}
	if q != nil {
		for _, l := range q.Linears {
			m.qlin[l.Prefix] = l
		}
	}
}

// apply runs the quantized layer x·Wᵀ + b in dtype dt.
func (l linear) applyQuantized(x *mlx.Array, dt mlx.Dtype) *mlx.Array {
	q := l.q
	s, b := asDtype(q.scales, dt), asDtype(q.biases, dt)
	if q.dequantize {
		w := mlx.Dequantize(l.w, s, b, q.groupSize, q.bits)
		return mlx.Addmm(asDtype(l.b, dt), asDtype(x, dt), mlx.Transpose(w), 1, 1)
	}
	y := mlx.QuantizedMatmul(asDtype(x, dt), l.w, s, b, true, q.groupSize, q.bits)
	return mlx.Add(y, asDtype(l.b, dt))
}

// Quantization reports the model's quantized Linears: how many and with
// which bits and group size (0, 0, 0 for a dense model).
func (m *Model) Quantization() (linears, bits, groupSize int) {
	if m.quant == nil {
		return 0, 0, 0
	}
	return len(m.quant.Linears), m.quant.Params.Bits, m.quant.Params.GroupSize
}

// quantLinearOf builds the layer of a quantized Linear (describe checked
// its three arrays).
func (b builder) quantLinearOf(prefix string, ql mapping.QuantizedLinear) linear {
	w, s, bi := b.weights[ql.Weight()], b.weights[ql.Scales()], b.weights[ql.Biases()]
	for _, a := range []*mlx.Array{w, s, bi} {
		b.used[a] = true
	}
	p := b.m.quant.Params
	return linear{w: w, b: b.small(prefix + ".bias"),
		q: &quantLinear{scales: s, biases: bi, groupSize: p.GroupSize, bits: p.Bits, dequantize: b.m.opts.DequantizeLinears}}
}
