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

var vae21EncRules = vaeLevelRules(vae21EncItem, vaeLevelDocs{side: "encoder", resample: "downsample", attn: true,
	conv2d: "encoder spatial downsample Conv2d (stride 2)", timeConv: "encoder temporal downsample conv (downsample3d)"})

var vae21DecRules = vaeLevelRules(vae21DecItem, vaeLevelDocs{side: "decoder", resample: "upsample", attn: true,
	conv2d: "decoder spatial upsample Conv2d (halves the channels)", timeConv: "decoder temporal upsample conv (upsample3d, 2x channels)"})

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
