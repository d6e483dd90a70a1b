package mapping

import "strings"

// QuantizableDiT reports whether mlxName, a tensor name of a converted DiT,
// is the weight of one of the Linears a quantized checkpoint stores
// quantized: in every block, the q, k, v and o projections of the self- and
// cross-attention and the two Linears of the feed-forward network, the set
// mlx-video quantizes. Everything else (embeddings, norms, modulation, head,
// biases) stays dense.
func QuantizableDiT(mlxName string) bool {
	segs := strings.Split(mlxName, ".")
	if len(segs) < 4 || segs[0] != "blocks" || !isIndex(segs[1]) || segs[len(segs)-1] != "weight" {
		return false
	}
	switch rest := segs[2 : len(segs)-1]; len(rest) {
	case 2: // self_attn.q, cross_attn.o, ...
		return (rest[0] == "self_attn" || rest[0] == "cross_attn") &&
			(rest[1] == "q" || rest[1] == "k" || rest[1] == "v" || rest[1] == "o")
	case 3: // ffn.layers.0, ffn.layers.2
		return rest[0] == "ffn" && rest[1] == "layers" && (rest[2] == "0" || rest[2] == "2")
	}
	return false
}

// QuantizableDiTLayout is QuantizableDiT for a DiT tensor name in layout l
// (mlx-video's ffn.fc1 and ffn.fc2 are the FFN's Linears there).
func QuantizableDiTLayout(l Layout, name string) bool {
	if l == LayoutWanconv || l == "" {
		return QuantizableDiT(name)
	}
	rs, err := rulesForLayout(l, ComponentDiT)
	if err != nil {
		return false
	}
	if _, torch, p := rs.mlxClassify(name); p == nil { // a DiT tensor name of that layout
		return QuantizableDiT(TargetName(ComponentDiT, torch))
	}
	return false
}
