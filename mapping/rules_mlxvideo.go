package mapping

// The mlx-video layout: the tensor names Blaizzy/mlx-video's Wan2.2 modules
// (mlx_video/models/wan_2: WanModel, T5Encoder, Wan22VAEEncoder/Decoder)
// load. The rules classify the same PyTorch tensors as the wanconv tables;
// only the renames differ, and the DiT's patch embedding becomes a Linear.

var mlxVideoTables = map[Component]table{
	ComponentDiT: mlxVideoDiTTable,
	ComponentT5:  mlxVideoT5Table,
	ComponentVAE: mlxVideoVAETable,
}

// mlxVideoDiTTable: WanModel keeps upstream names except for the Sequential
// children it holds as attributes and the patch embedding, a Linear over the
// flattened Conv3d kernel.
var mlxVideoDiTTable = table{
	renames: []Rename{
		{"patch_embedding", "patch_embedding_proj"},
		{"text_embedding.0", "text_embedding_0"},
		{"text_embedding.2", "text_embedding_1"},
		{"time_embedding.0", "time_embedding_0"},
		{"time_embedding.2", "time_embedding_1"},
		{"time_projection.1", "time_projection"},
		{"ffn.0", "ffn.fc1"},
		{"ffn.2", "ffn.fc2"},
	},
	rules: replaceRule(ditTable.rules, Rule{Pattern: "patch_embedding.weight", Transform: FlattenPatch, Rank: 5,
		Doc: "Conv3d patch embedding weight, as the Linear weight mlx-video applies to flattened patches"}),
}

// mlxVideoT5Table: T5Encoder keeps upstream names but for the gate Linear.
var mlxVideoT5Table = table{
	renames: []Rename{{"ffn.gate.0", "ffn.gate_proj"}},
	rules:   t5Table.rules,
}

// mlxVideoVAETable: the Sequential children become layer_N attributes, the
// Conv2d weights of Resample and AttentionBlock become plain arrays;
// downsamples, upsamples and middle stay lists (plain indices).
var mlxVideoVAETable = table{
	renames: []Rename{
		{"residual.0", "residual.layer_0"},
		{"residual.2", "residual.layer_2"},
		{"residual.3", "residual.layer_3"},
		{"residual.6", "residual.layer_6"},
		{"head.0", "head.layer_0"},
		{"head.2", "head.layer_2"},
		{"resample.1.weight", "resample_weight"},
		{"resample.1.bias", "resample_bias"},
		{"to_qkv.weight", "to_qkv_weight"},
		{"to_qkv.bias", "to_qkv_bias"},
		{"proj.weight", "proj_weight"},
		{"proj.bias", "proj_bias"},
	},
	rules: vaeTable.rules,
}

// replaceRule returns a copy of rules with the rule of r's pattern replaced
// by r; it panics when no rule has that pattern (a table error).
func replaceRule(rules []Rule, r Rule) []Rule {
	out := append([]Rule(nil), rules...)
	for i := range out {
		if out[i].Pattern == r.Pattern {
			out[i] = r
			return out
		}
	}
	panic("mapping: no rule " + r.Pattern + " to replace")
}
