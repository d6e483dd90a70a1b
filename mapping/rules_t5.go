package mapping

// t5Table describes the T5Encoder of wan/modules/t5.py.
var t5Table = table{
	containers: []string{"gate"},
	rules: []Rule{
		{Pattern: "token_embedding.weight", Rank: 2, Doc: "token embedding (vocab, dim)"},
		{Pattern: "pos_embedding.embedding.weight", Rank: 2, Doc: "shared relative position embedding (shared_pos)"},
		{Pattern: "blocks.#.pos_embedding.embedding.weight", Rank: 2, Doc: "per-block relative position embedding (num_buckets, num_heads)"},
		{Pattern: "blocks.#.norm1|norm2.weight", Rank: 1, Doc: "T5 layer norms"},
		{Pattern: "blocks.#.attn.q|k|v|o.weight", Rank: 2, Doc: "attention projections (no bias)"},
		{Pattern: "blocks.#.ffn.gate.0.weight", Rank: 2, Doc: "gated-GELU gate (Sequential Linear, GELU)"},
		{Pattern: "blocks.#.ffn.fc1|fc2.weight", Rank: 2, Doc: "feed-forward projections"},
		{Pattern: "norm.weight", Rank: 1, Doc: "final layer norm"},
	},
}
