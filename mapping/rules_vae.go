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
var vaeEncRules = []Rule{
	{Pattern: vaeEncBlock + ".residual.0|3.gamma", Transform: SqueezeGamma, Rank: 4, Doc: "encoder residual RMS norm gamma"},
	{Pattern: vaeEncBlock + ".residual.2|6.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "encoder residual causal Conv3d"},
	{Pattern: vaeEncBlock + ".residual.2|6.bias", Rank: 1, Doc: "encoder residual conv bias"},
	{Pattern: vaeEncBlock + ".shortcut.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "encoder 1x1x1 shortcut conv (in_dim != out_dim)"},
	{Pattern: vaeEncBlock + ".shortcut.bias", Rank: 1, Doc: "encoder shortcut bias"},
	{Pattern: vaeEncBlock + ".resample.1.weight", Transform: ConvToChannelsLast, Rank: 4, Doc: "encoder spatial downsample Conv2d"},
	{Pattern: vaeEncBlock + ".resample.1.bias", Rank: 1, Doc: "encoder downsample bias"},
	{Pattern: vaeEncBlock + ".time_conv.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "encoder temporal downsample conv (downsample3d)"},
	{Pattern: vaeEncBlock + ".time_conv.bias", Rank: 1, Doc: "encoder temporal conv bias"},
}

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
var vaeDecRules = []Rule{
	{Pattern: vaeDecBlock + ".residual.0|3.gamma", Transform: SqueezeGamma, Rank: 4, Doc: "decoder residual RMS norm gamma"},
	{Pattern: vaeDecBlock + ".residual.2|6.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "decoder residual causal Conv3d"},
	{Pattern: vaeDecBlock + ".residual.2|6.bias", Rank: 1, Doc: "decoder residual conv bias"},
	{Pattern: vaeDecBlock + ".shortcut.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "decoder 1x1x1 shortcut conv (in_dim != out_dim)"},
	{Pattern: vaeDecBlock + ".shortcut.bias", Rank: 1, Doc: "decoder shortcut bias"},
	{Pattern: vaeDecBlock + ".resample.1.weight", Transform: ConvToChannelsLast, Rank: 4, Doc: "decoder spatial upsample Conv2d"},
	{Pattern: vaeDecBlock + ".resample.1.bias", Rank: 1, Doc: "decoder upsample bias"},
	{Pattern: vaeDecBlock + ".time_conv.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "decoder temporal upsample conv (upsample3d, 2x channels)"},
	{Pattern: vaeDecBlock + ".time_conv.bias", Rank: 1, Doc: "decoder temporal conv bias"},
}

// vaeHeadRules: the output heads, the same in both VAE versions.
var vaeHeadRules = []Rule{
	{Pattern: "encoder|decoder.head.0.gamma", Transform: SqueezeGamma, Rank: 4, Doc: "head RMS norm gamma"},
	{Pattern: "encoder|decoder.head.2.weight", Transform: ConvToChannelsLast, Rank: 5, Doc: "head causal Conv3d"},
	{Pattern: "encoder|decoder.head.2.bias", Rank: 1, Doc: "head conv bias"},
}
