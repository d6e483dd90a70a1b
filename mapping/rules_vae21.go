package mapping

// Items of the Wan2.1 VAE's flat level lists: residual blocks, attention
// blocks (only with attn_scales) and resamples.
const (
	vae21EncItem = "encoder.downsamples.#"
	vae21DecItem = "decoder.upsamples.#"
)

// vae21Table describes WanVAE_ of wan/modules/vae2_1.py: the stem, middle
// and head of the Wan2.2 VAE, and flat encoder.downsamples /
// decoder.upsamples Sequentials mixing residual blocks and resamples.
var vae21Table = table{
	containers: vaeContainers,
	rules:      concatRules(vaeStemRules, vae21EncRules, vaeMiddleRules, vae21DecRules, vaeHeadRules),
	family:     familyVAE21,
}

var vae21EncRules = []Rule{
	{Pattern: vae21EncItem + ".residual.0|3.gamma", Transform: SqueezeGamma, Rank: 4, Doc: "encoder residual RMS norm gamma"},
	{Pattern: vae21EncItem + ".residual.2|6.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "encoder residual causal Conv3d"},
	{Pattern: vae21EncItem + ".residual.2|6.bias", Rank: 1, Doc: "encoder residual conv bias"},
	{Pattern: vae21EncItem + ".shortcut.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "encoder 1x1x1 shortcut conv (in_dim != out_dim)"},
	{Pattern: vae21EncItem + ".shortcut.bias", Rank: 1, Doc: "encoder shortcut bias"},
	{Pattern: vae21EncItem + ".norm.gamma", Transform: SqueezeGamma, Rank: 3, Doc: "encoder level attention RMS norm gamma (attn_scales)"},
	{Pattern: vae21EncItem + ".to_qkv|proj.weight", Transform: ConvToChannelsLast, Rank: 4, Doc: "encoder level attention 1x1 Conv2d (attn_scales)"},
	{Pattern: vae21EncItem + ".to_qkv|proj.bias", Rank: 1, Doc: "encoder level attention conv bias (attn_scales)"},
	{Pattern: vae21EncItem + ".resample.1.weight", Transform: ConvToChannelsLast, Rank: 4, Doc: "encoder spatial downsample Conv2d (stride 2)"},
	{Pattern: vae21EncItem + ".resample.1.bias", Rank: 1, Doc: "encoder downsample bias"},
	{Pattern: vae21EncItem + ".time_conv.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "encoder temporal downsample conv (downsample3d)"},
	{Pattern: vae21EncItem + ".time_conv.bias", Rank: 1, Doc: "encoder temporal conv bias"},
}

var vae21DecRules = []Rule{
	{Pattern: vae21DecItem + ".residual.0|3.gamma", Transform: SqueezeGamma, Rank: 4, Doc: "decoder residual RMS norm gamma"},
	{Pattern: vae21DecItem + ".residual.2|6.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "decoder residual causal Conv3d"},
	{Pattern: vae21DecItem + ".residual.2|6.bias", Rank: 1, Doc: "decoder residual conv bias"},
	{Pattern: vae21DecItem + ".shortcut.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "decoder 1x1x1 shortcut conv (in_dim != out_dim)"},
	{Pattern: vae21DecItem + ".shortcut.bias", Rank: 1, Doc: "decoder shortcut bias"},
	{Pattern: vae21DecItem + ".norm.gamma", Transform: SqueezeGamma, Rank: 3, Doc: "decoder level attention RMS norm gamma (attn_scales)"},
	{Pattern: vae21DecItem + ".to_qkv|proj.weight", Transform: ConvToChannelsLast, Rank: 4, Doc: "decoder level attention 1x1 Conv2d (attn_scales)"},
	{Pattern: vae21DecItem + ".to_qkv|proj.bias", Rank: 1, Doc: "decoder level attention conv bias (attn_scales)"},
	{Pattern: vae21DecItem + ".resample.1.weight", Transform: ConvToChannelsLast, Rank: 4, Doc: "decoder spatial upsample Conv2d (halves the channels)"},
	{Pattern: vae21DecItem + ".resample.1.bias", Rank: 1, Doc: "decoder upsample bias"},
	{Pattern: vae21DecItem + ".time_conv.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "decoder temporal upsample conv (upsample3d, 2x channels)"},
	{Pattern: vae21DecItem + ".time_conv.bias", Rank: 1, Doc: "decoder temporal conv bias"},
}

// mlxVideoVAE21Table: mlx-video's Wan2.1 VAE modules mirror the upstream
// key tree (Sequential children as plain list indices, Conv2d modules), and
// its sanitize_wan_vae_weights only moves every 4- and 5-dimensional
// "weight" to channels-last: no renames, and the RMS gammas keep their
// (C, 1, 1[, 1]) shapes.
var mlxVideoVAE21Table = table{
	rules:  keepGammas(vae21Table.rules),
	family: familyVAE21,
}

// keepGammas returns a copy of rules in which squeezed gammas stay as they
// are.
func keepGammas(rules []Rule) []Rule {
	out := append([]Rule(nil), rules...)
	for i := range out {
		if out[i].Transform == SqueezeGamma {
			out[i].Transform = Identity
			out[i].Doc += ", kept (C, 1, 1[, 1])"
		}
	}
	return out
}
