package mapping

// ditTable describes wan/modules/model.py WanModel.
var ditTable = table{
	containers: []string{"text_embedding", "time_embedding", "time_projection", "ffn"},
	rules: []Rule{
		{Pattern: "patch_embedding.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "Conv3d patch embedding weight"},
		{Pattern: "patch_embedding.bias", Rank: 1, Doc: "patch embedding bias"},
		{Pattern: "text_embedding.0|2.weight|bias", Doc: "text embedding MLP (Sequential Linear, GELU, Linear)"},
		{Pattern: "time_embedding.0|2.weight|bias", Doc: "time embedding MLP (Sequential Linear, SiLU, Linear)"},
		{Pattern: "time_projection.1.weight|bias", Doc: "time projection (Sequential SiLU, Linear)"},
		{Pattern: "blocks.#.modulation", Rank: 3, Doc: "block modulation (1, 6, dim), kept as is"},
		{Pattern: "blocks.#.self_attn|cross_attn.q|k|v|o.weight|bias", Doc: "attention projections"},
		{Pattern: "blocks.#.self_attn|cross_attn.norm_q|norm_k.weight", Rank: 1, Doc: "q/k RMS norms (qk_norm)"},
		{Pattern: "blocks.#.norm3.weight|bias", Rank: 1, Doc: "cross-attention LayerNorm (cross_attn_norm)"},
		{Pattern: "blocks.#.ffn.0|2.weight|bias", Doc: "feed-forward (Sequential Linear, GELU, Linear)"},
		{Pattern: "head.modulation", Rank: 3, Doc: "head modulation (1, 2, dim), kept as is"},
		{Pattern: "head.head.weight|bias", Doc: "output projection"},
	},
}
