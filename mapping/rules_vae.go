package mapping

// Residual-block owners in the VAE: stage blocks and the middle blocks.
const (
	vaeEncBlock = "encoder.downsamples.#.downsamples.#"
	vaeDecBlock = "decoder.upsamples.#.upsamples.#"
	vaeMidBlock = "encoder|decoder.middle.0|2"
	vaeMidAttn  = "encoder|decoder.middle.1"
)

// vaeContainers are the nn.Sequential attributes of both VAE versions.
var vaeContainers = []string{"downsamples", "upsamples", "middle", "head", "residual", "resample"}

// vaeTable describes WanVAE_ of wan/modules/vae2_2.py.
var vaeTable = table{
	containers: vaeContainers,
	rules:      concatRules(vaeStemRules, vaeEncRules, vaeMiddleRules, vaeDecRules, vaeHeadRules),
}

// concatRules joins rule lists into a new slice.
func concatRules(lists ...[]Rule) []Rule {
	var out []Rule
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// vaeStemRules: the input convs and the latent convs, the same in both VAE
// versions.
var vaeStemRules = []Rule{
	{Pattern: "encoder|decoder.conv1.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "input causal Conv3d"},
	{Pattern: "encoder|decoder.conv1.bias", Rank: 1, Doc: "input conv bias"},
	{Pattern: "conv1|conv2.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "1x1x1 latent convs between encoder and decoder"},
	{Pattern: "conv1|conv2.bias", Rank: 1, Doc: "latent conv bias"},
}

// vaeEncRules: the Wan2.2 encoder levels (nested Sequentials).
var vaeEncRules = vaeLevelRules(vaeEncBlock, vaeLevelDocs{side: "encoder", resample: "downsample",
	conv2d: "encoder spatial downsample Conv2d", timeConv: "encoder temporal downsample conv (downsample3d)"})

// vaeMiddleRules: the middle blocks, the same in both VAE versions.
var vaeMiddleRules = []Rule{
	{Pattern: vaeMidBlock + ".residual.0|3.gamma", Transform: SqueezeGamma, Rank: 4, Doc: "middle residual RMS norm gamma"},
	{Pattern: vaeMidBlock + ".residual.2|6.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "middle residual causal Conv3d"},
	{Pattern: vaeMidBlock + ".residual.2|6.bias", Rank: 1, Doc: "middle residual conv bias"},
	{Pattern: vaeMidAttn + ".norm.gamma", Transform: SqueezeGamma, Rank: 3, Doc: "attention RMS norm gamma (images)"},
	{Pattern: vaeMidAttn + ".to_qkv|proj.weight", Transform: ConvToChannelsLast, Rank: 4, Doc: "attention 1x1 Conv2d"},
	{Pattern: vaeMidAttn + ".to_qkv|proj.bias", Rank: 1, Doc: "attention conv bias"},
}

// vaeDecRules: the Wan2.2 decoder levels (nested Sequentials).
var vaeDecRules = vaeLevelRules(vaeDecBlock, vaeLevelDocs{side: "decoder", resample: "upsample",
	conv2d: "decoder spatial upsample Conv2d", timeConv: "decoder temporal upsample conv (upsample3d, 2x channels)"})

// vaeLevelDocs words the rule docs of one side's levels.
type vaeLevelDocs struct {
	side     string // "encoder" or "decoder"
	resample string // "downsample" or "upsample"
	conv2d   string // the spatial resample Conv2d
	timeConv string // the temporal resample conv
	attn     bool   // the levels may hold attention blocks (Wan2.1 attn_scales)
}

// vaeLevelRules are the rules of the items under the level prefix item: residual
// blocks, their shortcuts, attention blocks when d.attn, spatial and
// temporal resamples. Both VAE versions use them, with their own prefixes.
func vaeLevelRules(item string, d vaeLevelDocs) []Rule {
	rules := []Rule{
		{Pattern: item + ".residual.0|3.gamma", Transform: SqueezeGamma, Rank: 4, Doc: d.side + " residual RMS norm gamma"},
		{Pattern: item + ".residual.2|6.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: d.side + " residual causal Conv3d"},
		{Pattern: item + ".residual.2|6.bias", Rank: 1, Doc: d.side + " residual conv bias"},
		{Pattern: item + ".shortcut.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: d.side + " 1x1x1 shortcut conv (in_dim != out_dim)"},
		{Pattern: item + ".shortcut.bias", Rank: 1, Doc: d.side + " shortcut bias"},
	}
	if d.attn {
		rules = append(rules,
			Rule{Pattern: item + ".norm.gamma", Transform: SqueezeGamma, Rank: 3, Doc: d.side + " level attention RMS norm gamma (attn_scales)"},
			Rule{Pattern: item + ".to_qkv|proj.weight", Transform: ConvToChannelsLast, Rank: 4, Doc: d.side + " level attention 1x1 Conv2d (attn_scales)"},
			Rule{Pattern: item + ".to_qkv|proj.bias", Rank: 1, Doc: d.side + " level attention conv bias (attn_scales)"})
	}
	return append(rules,
		Rule{Pattern: item + ".resample.1.weight", Transform: ConvToChannelsLast, Rank: 4, Doc: d.conv2d},
		Rule{Pattern: item + ".resample.1.bias", Rank: 1, Doc: d.side + " " + d.resample + " bias"},
		Rule{Pattern: item + ".time_conv.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: d.timeConv},
		Rule{Pattern: item + ".time_conv.bias", Rank: 1, Doc: d.side + " temporal conv bias"})
}

// vaeHeadRules: the output heads, the same in both VAE versions.
var vaeHeadRules = []Rule{
	{Pattern: "encoder|decoder.head.0.gamma", Transform: SqueezeGamma, Rank: 4, Doc: "head RMS norm gamma"},
	{Pattern: "encoder|decoder.head.2.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "head causal Conv3d"},
	{Pattern: "encoder|decoder.head.2.bias", Rank: 1, Doc: "head conv bias"},
}
