package mapping

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// ProblemQuantized marks a malformed quantized Linear: parts missing or of
// the wrong dtype or shape, a Linear quantized that should not be, or one
// left dense in a quantized DiT.
const ProblemQuantized ProblemKind = "quantization"

// QuantizedLinear is one MLX-quantized Linear of a converted DiT: the
// uint32 codes <Prefix>.weight (Rows, Cols·bits/32) and the scales and
// biases (Rows, Cols/group size) in DType.
type QuantizedLinear struct {
	Prefix     string
	Rows, Cols int64
	DType      tensor.DType
}

// Weight, Scales and Biases name the Linear's three quantized tensors.
func (q QuantizedLinear) Weight() string { return q.Prefix + ".weight" }
func (q QuantizedLinear) Scales() string { return q.Prefix + ".scales" }
func (q QuantizedLinear) Biases() string { return q.Prefix + ".biases" }

// QuantizedDiT is what SplitQuantizedDiT found.
type QuantizedDiT struct {
	// Params are the checkpoint's bits and group size.
	Params quant.Params
	// Inferred is true when Params were read off the shapes (config.json
	// had no quantization entry).
	Inferred bool
	// Dense describes the set as its dense checkpoint would: every
	// quantized Linear's three tensors become one <p>.weight (Rows, Cols)
	// in the scales' dtype. It can go to CheckConvertedLayout.
	Dense   []tensor.Info
	Linears []QuantizedLinear // sorted by prefix
}

// IsQuantizedDiT reports whether a DiT tensor set holds quantized Linears
// (a uint32 tensor) or stated is non-nil (config.json says so).
func IsQuantizedDiT(infos []tensor.Info, stated *quant.Params) bool {
	if stated != nil {
		return true
	}
	for _, t := range infos {
		if t.DType == tensor.U32 {
			return true
		}
	}
	return false
}

// SplitQuantizedDiT resolves the quantized Linears of a converted DiT
// tensor set in layout l. stated is the quantization config.json declares
// (nil: none; bits and group size are then read off the first block's
// self-attention q projection, a square matrix). Every Linear
// QuantizableDiTLayout selects must be quantized with the same settings;
// no other tensor may be uint32, and no .scales or .biases may be left
// without its codes. Problems name the tensor; Dense keeps every tensor it
// could resolve.
func SplitQuantizedDiT(l Layout, infos []tensor.Info, stated *quant.Params) (*QuantizedDiT, []Problem) {
	byName := make(map[string]tensor.Info, len(infos))
	for _, t := range infos {
		byName[t.Name] = t
	}
	var probs []Problem
	add := func(name, format string, args ...any) {
		probs = append(probs, Problem{Kind: ProblemQuantized, Name: name, Detail: fmt.Sprintf(format, args...)})
	}
	q := &QuantizedDiT{}
	switch {
	case stated != nil:
		if err := stated.Validate(); err != nil {
			add("", "config.json: %v", err)
			return q, probs
		}
		q.Params = *stated
	default:
		p, err := inferQuantParams(l, byName)
		if err != nil {
			add("", "%v", err)
			return q, probs
		}
		q.Params, q.Inferred = p, true
	}
	p := q.Params
	used := map[string]bool{}
	for _, t := range infos {
		if used[t.Name] {
			continue
		}
		stem, isWeight := strings.CutSuffix(t.Name, ".weight")
		quantizable := isWeight && QuantizableDiTLayout(l, t.Name)
		if strings.HasSuffix(t.Name, ".scales") || strings.HasSuffix(t.Name, ".biases") {
			continue // with its weight, or reported below
		}
		switch {
		case t.DType == tensor.U32 && !quantizable:
			add(t.Name, "is uint32, but only the attention and FFN Linear weights are quantized")
			used[stem+".scales"], used[stem+".biases"] = true, true
			continue
		case t.DType != tensor.U32 && quantizable:
			add(t.Name, "is %s, but this DiT is quantized (%s): its attention and FFN Linear weights must be uint32 codes with scales and biases",
				t.DType.Name(), p)
			q.Dense = append(q.Dense, t)
			continue
		case t.DType != tensor.U32:
			q.Dense = append(q.Dense, t)
			continue
		}
		ql, bad := resolveLinear(stem, t, byName, p)
		for _, b := range bad {
			add(b[0], "%s", b[1])
		}
		used[ql.Scales()], used[ql.Biases()] = true, true // present or reported
		if len(bad) == 0 {
			q.Linears = append(q.Linears, ql)
		}
		if ql.Rows > 0 { // described even when broken, so that the architecture check does not call it missing
			q.Dense = append(q.Dense, tensor.Info{Name: t.Name, DType: ql.DType, Shape: []int64{ql.Rows, ql.Cols}})
		}
	}
	for _, t := range infos {
		if (strings.HasSuffix(t.Name, ".scales") || strings.HasSuffix(t.Name, ".biases")) && !used[t.Name] {
			add(t.Name, "has no uint32 %s.weight to belong to", t.Name[:strings.LastIndexByte(t.Name, '.')])
		}
	}
	sort.Slice(q.Linears, func(i, j int) bool { return q.Linears[i].Prefix < q.Linears[j].Prefix })
	tensor.SortInfos(q.Dense)
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Name < probs[j].Name })
	return q, probs
}

// resolveLinear checks one Linear's codes w and its scales and biases
// against p; bad lists (tensor, problem) pairs.
func resolveLinear(stem string, w tensor.Info, byName map[string]tensor.Info, p quant.Params) (QuantizedLinear, [][2]string) {
	ql := QuantizedLinear{Prefix: stem}
	var bad [][2]string
	fail := func(name, format string, args ...any) {
		bad = append(bad, [2]string{name, fmt.Sprintf(format, args...)})
	}
	if len(w.Shape) != 2 || w.Shape[0] < 1 || w.Shape[1] < 1 {
		fail(w.Name, "uint32 codes of shape %s, want (out, in·%d/32)", tensor.ShapeString(w.Shape), p.Bits)
		return ql, bad
	}
	ql.Rows, ql.Cols = w.Shape[0], w.Shape[1]*32/int64(p.Bits)
	want := p.ScalesShape(ql.Rows, ql.Cols)
	if ql.Cols%int64(p.GroupSize) != 0 {
		fail(w.Name, "shape %s holds %d inputs, not a multiple of the group size %d", tensor.ShapeString(w.Shape), ql.Cols, p.GroupSize)
	}
	for _, name := range []string{ql.Scales(), ql.Biases()} {
		t, ok := byName[name]
		switch {
		case !ok:
			fail(name, "missing: %s is quantized (%s) and needs it with shape %s", w.Name, p, tensor.ShapeString(want))
		case t.DType != tensor.F32 && t.DType != tensor.BF16 && t.DType != tensor.F16:
			fail(name, "is %s, want float32, bfloat16 or float16", t.DType.Name())
		case tensor.ShapeString(t.Shape) != tensor.ShapeString(want):
			fail(name, "has shape %s; codes %s with %s need %s", tensor.ShapeString(t.Shape), tensor.ShapeString(w.Shape), p, tensor.ShapeString(want))
		case ql.DType == tensor.Invalid:
			ql.DType = t.DType
		case t.DType != ql.DType:
			fail(name, "is %s, its scales %s (both must have one dtype)", t.DType.Name(), ql.DType.Name())
		}
	}
	return ql, bad
}

// inferQuantParams reads bits and group size off the first block's
// self-attention q projection, which maps dim to dim.
func inferQuantParams(l Layout, byName map[string]tensor.Info) (quant.Params, error) {
	name := TargetNameLayout(l, ComponentDiT, "blocks.0.self_attn.q.weight")
	w, ok := byName[name]
	s, ok2 := byName[strings.TrimSuffix(name, ".weight")+".scales"]
	if !ok || !ok2 || w.DType != tensor.U32 || len(w.Shape) != 2 || len(s.Shape) != 2 || w.Shape[1] == 0 || s.Shape[1] == 0 {
		return quant.Params{}, fmt.Errorf("uint32 weights but no quantization entry in config.json, and %s with its scales "+
			"(which would give bits and group size) is not there", name)
	}
	dim := w.Shape[0]
	p := quant.Params{Bits: int(32 * w.Shape[1] / dim), GroupSize: int(dim / s.Shape[1])}
	if 32*w.Shape[1] != int64(p.Bits)*dim || int64(p.GroupSize)*s.Shape[1] != dim || p.Validate() != nil {
		return quant.Params{}, fmt.Errorf("no quantization entry in config.json, and %s %s with scales %s is no supported "+
			"quantization of a (%d, %d) weight (4 or 8 bits, group size 32, 64 or 128)",
			name, tensor.ShapeString(w.Shape), tensor.ShapeString(s.Shape), dim, dim)
	}
	return p, nil
}

// QuantizationOf reads the "quantization" entry of a config.json (either
// layout): nil when there is none (or no config.json).
func QuantizationOf(configJSON []byte) (*quant.Params, error) {
	if len(configJSON) == 0 {
		return nil, nil
	}
	var cfg struct {
		Quantization *struct {
			GroupSize *int `json:"group_size"`
			Bits      *int `json:"bits"`
		} `json:"quantization"`
	}
	if err := json.Unmarshal(configJSON, &cfg); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	q := cfg.Quantization
	if q == nil {
		return nil, nil
	}
	if q.GroupSize == nil || q.Bits == nil {
		return nil, fmt.Errorf("config.json: quantization needs group_size and bits")
	}
	p := &quant.Params{Bits: *q.Bits, GroupSize: *q.GroupSize}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	return p, nil
}
