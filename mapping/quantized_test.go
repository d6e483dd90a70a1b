package mapping

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// quantizedTiny describes the tiny release's DiT converted to layout l in
// bfloat16 and quantized with p (what the converter writes), and the dense
// description of the same conversion.
func quantizedTiny(t *testing.T, l Layout, p quant.Params) (quantized, dense []tensor.Info, cfg []byte) {
	t.Helper()
	srcs, cfg := tinySources(t)
	plan, err := PlanLayout(l, ComponentDiT, srcs[ComponentDiT], cfg)
	require.NoError(t, err)
	for _, e := range plan.Entries {
		d := tensor.Info{Name: e.Target, DType: tensor.BF16, Shape: e.OutShape}
		dense = append(dense, d)
		if !QuantizableDiTLayout(l, e.Target) {
			quantized = append(quantized, d)
			continue
		}
		stem := strings.TrimSuffix(e.Target, ".weight")
		r, c := e.OutShape[0], e.OutShape[1]
		quantized = append(quantized, tensor.Info{Name: e.Target, DType: tensor.U32, Shape: p.PackedShape(r, c)},
			tensor.Info{Name: stem + ".scales", DType: tensor.BF16, Shape: p.ScalesShape(r, c)},
			tensor.Info{Name: stem + ".biases", DType: tensor.BF16, Shape: p.ScalesShape(r, c)})
	}
	tensor.SortInfos(quantized)
	tensor.SortInfos(dense)
	return quantized, dense, cfg
}

func TestSplitQuantizedDiT(t *testing.T) {
	for _, l := range []Layout{LayoutWanconv, LayoutMLXVideo} {
		for _, p := range []quant.Params{{Bits: 4, GroupSize: 64}, {Bits: 8, GroupSize: 32}, {Bits: 4, GroupSize: 128}} {
			infos, dense, cfg := quantizedTiny(t, l, p)
			require.True(t, IsQuantizedDiT(infos, nil))
			require.False(t, IsQuantizedDiT(dense, nil))
			for _, stated := range []*quant.Params{&p, nil} {
				q, probs := SplitQuantizedDiT(l, infos, stated)
				require.Empty(t, probs, "%s %s", l, p)
				require.Equal(t, p, q.Params)
				require.Equal(t, stated == nil, q.Inferred)
				require.Equal(t, dense, q.Dense)
				require.Len(t, q.Linears, 20)
				_, err := CheckConvertedLayout(l, ComponentDiT, q.Dense, cfg)
				require.NoError(t, err)
			}
			q, _ := SplitQuantizedDiT(l, infos, &p)
			ffn := TargetNameLayout(l, ComponentDiT, "blocks.1.ffn.2.weight")
			var found bool
			for _, ql := range q.Linears {
				if ql.Weight() == ffn {
					found = true
					require.Equal(t, QuantizedLinear{Prefix: strings.TrimSuffix(ffn, ".weight"), Rows: 128, Cols: 256, DType: tensor.BF16}, ql)
				}
			}
			require.True(t, found, ffn)
		}
	}
}

// Each malformation is named by tensor.
func TestSplitQuantizedDiTProblems(t *testing.T) {
	p := quant.Params{Bits: 4, GroupSize: 64}
	base, _, _ := quantizedTiny(t, LayoutWanconv, p)
	edit := func(f func(m map[string]tensor.Info)) []tensor.Info {
		m := map[string]tensor.Info{}
		for _, t := range base {
			m[t.Name] = t
		}
		f(m)
		var out []tensor.Info
		for _, t := range m {
			out = append(out, t)
		}
		tensor.SortInfos(out)
		return out
	}
	q := "blocks.0.self_attn.q"
	for name, c := range map[string]struct {
		infos  []tensor.Info
		stated *quant.Params
		want   map[string]string // tensor → part of the detail
		n      int               // problems in all (0: len(want))
	}{
		"stated group size contradicts shapes": {base, &quant.Params{Bits: 4, GroupSize: 32}, map[string]string{
			q + ".scales": "has shape (128, 2); codes (128, 16) with 4-bit, group size 32 need (128, 4)"}, 40}, // every scales and biases
		"stated bits contradict shapes": {base, &quant.Params{Bits: 8, GroupSize: 64}, map[string]string{
			q + ".biases": "has shape (128, 2); codes (128, 16) with 8-bit, group size 64 need (128, 1)"}, 40},
		"biases missing": {edit(func(m map[string]tensor.Info) { delete(m, q+".biases") }), &p, map[string]string{
			q + ".biases": "missing: blocks.0.self_attn.q.weight is quantized (4-bit, group size 64) and needs it with shape (128, 2)"}, 0},
		"orphan scales": {edit(func(m map[string]tensor.Info) {
			m["head.head.scales"] = tensor.Info{Name: "head.head.scales", DType: tensor.BF16, Shape: []int64{48, 2}}
		}), &p, map[string]string{"head.head.scales": "has no uint32 head.head.weight to belong to"}, 0},
		"non-quantizable uint32": {edit(func(m map[string]tensor.Info) {
			m["head.head.weight"] = tensor.Info{Name: "head.head.weight", DType: tensor.U32, Shape: []int64{48, 16}}
		}), &p, map[string]string{"head.head.weight": "only the attention and FFN Linear weights are quantized"}, 0},
		"dense quantizable": {edit(func(m map[string]tensor.Info) {
			delete(m, q+".scales")
			delete(m, q+".biases")
			m[q+".weight"] = tensor.Info{Name: q + ".weight", DType: tensor.BF16, Shape: []int64{128, 128}}
		}), &p, map[string]string{q + ".weight": "is bfloat16, but this DiT is quantized (4-bit, group size 64)"}, 0},
		"mixed dtypes": {edit(func(m map[string]tensor.Info) {
			m[q+".biases"] = tensor.Info{Name: q + ".biases", DType: tensor.F32, Shape: []int64{128, 2}}
		}), &p, map[string]string{q + ".biases": "is float32, its scales bfloat16"}, 0},
		"integer scales": {edit(func(m map[string]tensor.Info) {
			m[q+".scales"] = tensor.Info{Name: q + ".scales", DType: tensor.I32, Shape: []int64{128, 2}}
		}), &p, map[string]string{q + ".scales": "is int32, want float32, bfloat16 or float16"}, 0},
		"unsupported stated bits": {base, &quant.Params{Bits: 3, GroupSize: 64}, map[string]string{
			"": "config.json: quantization bits 3 not supported (4 or 8)"}, 0},
		"nothing to infer from": {edit(func(m map[string]tensor.Info) { delete(m, q+".scales") }), nil, map[string]string{
			"": "no quantization entry in config.json, and blocks.0.self_attn.q.weight with its scales"}, 0},
	} {
		_, probs := SplitQuantizedDiT(LayoutWanconv, c.infos, c.stated)
		got := map[string]string{}
		for _, pr := range probs {
			require.Equal(t, ProblemQuantized, pr.Kind, name)
			got[pr.Name] = pr.Detail
		}
		if c.n == 0 {
			c.n = len(c.want)
		}
		require.Len(t, got, c.n, "%s: %v", name, probs)
		for tn, detail := range c.want {
			require.Contains(t, got[tn], detail, "%s: %s", name, tn)
		}
	}
}

// A uint32 q projection whose shapes fit no supported quantization.
func TestSplitQuantizedDiTInferRejects(t *testing.T) {
	infos := []tensor.Info{
		{Name: "blocks.0.self_attn.q.weight", DType: tensor.U32, Shape: []int64{128, 24}}, // 6 bits
		{Name: "blocks.0.self_attn.q.scales", DType: tensor.BF16, Shape: []int64{128, 2}},
		{Name: "blocks.0.self_attn.q.biases", DType: tensor.BF16, Shape: []int64{128, 2}},
	}
	_, probs := SplitQuantizedDiT(LayoutWanconv, infos, nil)
	require.Len(t, probs, 1)
	require.Contains(t, probs[0].Detail, "(128, 24) with scales (128, 2) is no supported quantization of a (128, 128) weight")
}

func TestQuantizationOf(t *testing.T) {
	p, err := QuantizationOf([]byte(`{"dim": 4, "quantization": {"group_size": 128, "bits": 8}}`))
	require.NoError(t, err)
	require.Equal(t, &quant.Params{Bits: 8, GroupSize: 128}, p)
	for _, cfg := range []string{"", `{"dim": 4}`, `{"quantization": null}`} {
		p, err = QuantizationOf([]byte(cfg))
		require.NoError(t, err, cfg)
		require.Nil(t, p, cfg)
	}
	for cfg, msg := range map[string]string{
		`{"quantization": {"bits": 4}}`:                   "needs group_size and bits",
		`{"quantization": {"group_size": 64, "bits": 2}}`: "bits 2 not supported",
		`{"quantization": {"group_size": 16, "bits": 4}}`: "group size 16 not supported",
		`{"quantization": "4bit"}`:                        "config.json: json:",
	} {
		_, err = QuantizationOf([]byte(cfg))
		require.ErrorContains(t, err, msg, cfg)
	}
}

// RelayoutToWanconv renames a quantized Linear's scales and biases with its
// codes (mlx-video's ffn.fc1 → ffn.layers.0), shapes kept.
func TestRelayoutQuantized(t *testing.T) {
	p := quant.Params{Bits: 8, GroupSize: 64}
	mv, _, cfg := quantizedTiny(t, LayoutMLXVideo, p)
	want, _, _ := quantizedTiny(t, LayoutWanconv, p)
	rel, err := RelayoutToWanconv(LayoutMLXVideo, ComponentDiT, mv, cfg)
	require.NoError(t, err)
	got := map[string][]int64{}
	for _, x := range rel {
		got[x.Target] = x.Shape
		if strings.HasSuffix(x.Name, ".scales") || strings.HasSuffix(x.Name, ".biases") {
			require.Equal(t, x.From, x.To, x.Name)
		}
	}
	require.Equal(t, []int64{128, 4}, got["blocks.1.ffn.layers.2.biases"])
	require.Equal(t, []int64{256, 32}, got["blocks.0.ffn.layers.0.weight"])
	require.Len(t, got, len(want))
	for _, w := range want {
		require.Equal(t, w.Shape, got[w.Name], w.Name)
	}
}
