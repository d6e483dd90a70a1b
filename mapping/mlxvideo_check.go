package mapping

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// MLXVideoWeights is what an mlx-video checkpoint's weights say, to check
// its config.json against. A nil architecture or zero Experts is not checked.
type MLXVideoWeights struct {
	DiT *DiTArch // from model.safetensors (or one expert)
	T5  *T5Arch  // from t5_encoder.safetensors
	VAE *VAEArch // from vae.safetensors (Wan2.2 VAE)
	// Experts is the number of DiT files: 1 (model.safetensors) or 2
	// (high_noise_model + low_noise_model).
	Experts int
}

// CheckMLXVideoConfig reads an mlx-video config.json strictly and checks the
// configuration mlx-video would run with (defaults for absent fields)
// against itself and the weights. Each problem names the field; a field that
// was absent says so. nil means the file is usable with these weights.
func CheckMLXVideoConfig(configJSON []byte, w MLXVideoWeights) []ConfigProblem {
	parsed, err := ParseMLXVideoConfig(configJSON)
	if err != nil {
		return []ConfigProblem{*err.(*ConfigProblem)}
	}
	missing := make(map[string]bool, len(parsed.Missing))
	for _, k := range parsed.Missing {
		missing[k] = true
	}
	return checkMLXVideo(&parsed.MLXVideoConfigFile, missing, w)
}

type configChecker struct {
	missing  map[string]bool
	problems []ConfigProblem
}

func (cc *configChecker) fail(field, format string, args ...any) {
	cc.failWith(field, nil, format, args...)
}

// failWith reports a problem of field that also involves the related fields;
// the ones config.json lacks (mlx-video then uses its defaults) are named.
func (cc *configChecker) failWith(field string, related []string, format string, args ...any) {
	d := fmt.Sprintf(format, args...)
	var absent []string
	for _, f := range append([]string{field}, related...) {
		if cc.missing[f] {
			absent = append(absent, f)
		}
	}
	if len(absent) > 0 {
		d += fmt.Sprintf(" (config.json lacks %s: mlx-video uses its default)", strings.Join(absent, ", "))
	}
	cc.problems = append(cc.problems, ConfigProblem{Field: field, Detail: d})
}

// weights reports a field that contradicts a value the weights determine.
func (cc *configChecker) weights(field string, cfg, got any, from string) {
	if fmt.Sprint(cfg) != fmt.Sprint(got) {
		cc.fail(field, "is %v but the weights have %v (%s)", cfg, got, from)
	}
}

func checkMLXVideo(c *MLXVideoConfigFile, missing map[string]bool, w MLXVideoWeights) []ConfigProblem {
	cc := &configChecker{missing: missing}
	checkMLXVideoValues(cc, c)
	if d := w.DiT; d != nil {
		cc.weights("dim", c.Dim, d.Dim, "patch_embedding_proj.bias")
		cc.weights("in_dim", c.InDim, d.InDim, "patch_embedding_proj.weight")
		cc.weights("out_dim", c.OutDim, d.OutDim, "head.head.weight")
		cc.weights("ffn_dim", c.FFNDim, d.FFNDim, "blocks.0.ffn.fc1.weight")
		cc.weights("freq_dim", c.FreqDim, d.FreqDim, "time_embedding_0.weight")
		cc.weights("text_dim", c.TextDim, d.TextDim, "text_embedding_0.weight")
		cc.weights("num_layers", c.NumLayers, d.NumLayers, "blocks.N")
		cc.weights("qk_norm", c.QKNorm, d.QKNorm, "blocks.N.*_attn.norm_q/norm_k")
		cc.weights("cross_attn_norm", c.CrossAttnNorm, d.CrossAttnNorm, "blocks.N.norm3")
		if d.PatchSize != nil {
			cc.weights("patch_size", c.PatchSize, d.PatchSize, "patch_embedding_proj.weight")
		}
		// Fields the DiT architecture took from a config.json of its own.
		if d.NumHeads != 0 {
			cc.weights("num_heads", c.NumHeads, d.NumHeads, "the DiT's config")
		}
		if d.ModelType != "" {
			cc.weights("model_type", c.ModelType, d.ModelType, "the DiT's config")
		}
	}
	if t := w.T5; t != nil {
		from := "t5_encoder.safetensors"
		cc.weights("t5_vocab_size", c.T5VocabSize, t.Vocab, from+" token_embedding.weight")
		cc.weights("t5_dim", c.T5Dim, t.Dim, from+" token_embedding.weight")
		cc.weights("t5_dim_attn", c.T5DimAttn, t.DimAttn, from+" blocks.0.attn.q.weight")
		cc.weights("t5_dim_ffn", c.T5DimFFN, t.DimFFN, from+" blocks.0.ffn.fc1.weight")
		cc.weights("t5_num_heads", c.T5NumHeads, t.NumHeads, from+" blocks.0.pos_embedding.embedding.weight")
		cc.weights("t5_num_layers", c.T5NumLayers, t.NumLayers, from+" blocks.N")
		cc.weights("t5_num_buckets", c.T5NumBuckets, t.NumBuckets, from+" blocks.0.pos_embedding.embedding.weight")
	}
	if v := w.VAE; v != nil {
		cc.weights("vae_z_dim", c.VAEZDim, v.ZDim, "vae.safetensors conv2.weight")
		cc.weights("vae_stride", c.VAEStride, v.VAEStride(), "vae.safetensors: its down- and upsampling stages")
	}
	switch {
	case w.Experts == 1 && c.DualModel:
		cc.fail("dual_model", "is true but the checkpoint has one model (model.safetensors)")
	case w.Experts == 2 && !c.DualModel:
		cc.fail("dual_model", "is false but the checkpoint has two experts (high_noise_model, low_noise_model)")
	}
	return cc.problems
}

// checkMLXVideoValues checks the fields against each other and the values
// mlx-video accepts.
func checkMLXVideoValues(cc *configChecker, c *MLXVideoConfigFile) {
	if !oneOf(c.ModelType, "t2v", "i2v", "ti2v", "s2v") {
		cc.fail("model_type", "is %q, want t2v, i2v, ti2v or s2v", c.ModelType)
	}
	if !oneOf(c.ModelVersion, "2.1", "2.2") {
		cc.fail("model_version", "is %q, want 2.1 or 2.2", c.ModelVersion)
	}
	positiveList(cc, "patch_size", c.PatchSize, 3)
	positiveList(cc, "vae_stride", c.VAEStride, 3)
	if len(c.WindowSize) != 2 {
		cc.fail("window_size", "has %d entries, want 2", len(c.WindowSize))
	}
	for _, f := range []struct {
		key string
		v   int
	}{
		{"text_len", c.TextLen}, {"in_dim", c.InDim}, {"dim", c.Dim}, {"ffn_dim", c.FFNDim}, {"freq_dim", c.FreqDim},
		{"text_dim", c.TextDim}, {"out_dim", c.OutDim}, {"num_layers", c.NumLayers}, {"vae_z_dim", c.VAEZDim},
		{"sample_steps", c.SampleSteps}, {"num_train_timesteps", c.NumTrainTimesteps}, {"sample_fps", c.SampleFPS},
		{"t5_vocab_size", c.T5VocabSize}, {"t5_dim", c.T5Dim}, {"t5_dim_attn", c.T5DimAttn}, {"t5_dim_ffn", c.T5DimFFN},
		{"t5_num_heads", c.T5NumHeads}, {"t5_num_layers", c.T5NumLayers}, {"t5_num_buckets", c.T5NumBuckets},
	} {
		if f.v <= 0 {
			cc.fail(f.key, "is %d, want a positive integer", f.v)
		}
	}
	switch {
	case c.NumHeads <= 0:
		cc.fail("num_heads", "is %d, want a positive integer", c.NumHeads)
	case c.Dim%c.NumHeads != 0:
		cc.failWith("num_heads", []string{"dim"}, "is %d, which does not divide dim %d", c.NumHeads, c.Dim)
	case (c.Dim/c.NumHeads)%2 != 0:
		cc.failWith("num_heads", []string{"dim"}, "is %d, which makes head_dim %d odd (RoPE needs it even)", c.NumHeads, c.Dim/c.NumHeads)
	}
	if c.T5NumHeads > 0 && c.T5DimAttn%c.T5NumHeads != 0 {
		cc.failWith("t5_num_heads", []string{"t5_dim_attn"}, "is %d, which does not divide t5_dim_attn %d", c.T5NumHeads, c.T5DimAttn)
	}
	if c.FreqDim%2 != 0 {
		cc.fail("freq_dim", "is %d, want an even number", c.FreqDim)
	}
	if !(c.Eps > 0) || math.IsInf(float64(c.Eps), 0) {
		cc.fail("eps", "is %v, want a positive number", float64(c.Eps))
	}
	// The latent channels tie the DiT to the VAE and the text encoder.
	wantIn := c.VAEZDim
	if c.ModelType == "i2v" {
		wantIn = 2*c.VAEZDim + 4 // noise + (mask, image latent)
	}
	if c.InDim != wantIn {
		cc.failWith("in_dim", []string{"model_type", "vae_z_dim"}, "is %d but a %s model with vae_z_dim %d takes %d latent channels", c.InDim, c.ModelType, c.VAEZDim, wantIn)
	}
	if c.OutDim != c.VAEZDim {
		cc.failWith("out_dim", []string{"vae_z_dim"}, "is %d but vae_z_dim is %d", c.OutDim, c.VAEZDim)
	}
	if c.TextDim != c.T5Dim {
		cc.failWith("text_dim", []string{"t5_dim"}, "is %d but the text encoder's t5_dim is %d", c.TextDim, c.T5Dim)
	}
	checkMLXVideoSampling(cc, c)
}

func checkMLXVideoSampling(cc *configChecker, c *MLXVideoConfigFile) {
	b := float64(c.Boundary)
	switch {
	case !(b >= 0 && b < 1):
		cc.fail("boundary", "is %v, want a number in [0, 1)", b)
	case c.DualModel && b == 0:
		cc.failWith("boundary", []string{"dual_model"}, "is 0 but dual_model is true: the high-noise expert would never run")
	}
	if !(c.SampleShift > 0) || math.IsInf(float64(c.SampleShift), 0) {
		cc.fail("sample_shift", "is %v, want a positive number", float64(c.SampleShift))
	}
	if c.FrameNum <= 0 || (c.FrameNum-1)%4 != 0 {
		cc.fail("frame_num", "is %d, want 4n+1", c.FrameNum)
	}
	if n := len(c.SampleGuideScale); n < 1 || n > 2 {
		cc.fail("sample_guide_scale", "has %d entries, want a number or (low noise, high noise)", n)
	}
	for _, g := range c.SampleGuideScale {
		if !(g >= 0) || math.IsInf(g, 0) {
			cc.fail("sample_guide_scale", "has %v, want non-negative numbers", g)
			break
		}
	}
	if c.MaxArea < 0 {
		cc.fail("max_area", "is %d, want 0 (no limit) or a pixel count", c.MaxArea)
	}
	if q := c.Quantization; q != nil {
		if !slices.Contains([]int{2, 3, 4, 5, 6, 8}, q.Bits) {
			cc.fail("quantization", "has bits %d, want 2, 3, 4, 5, 6 or 8", q.Bits)
		}
		if !slices.Contains([]int{32, 64, 128}, q.GroupSize) {
			cc.fail("quantization", "has group_size %d, want 32, 64 or 128", q.GroupSize)
		}
	}
}

func positiveList(cc *configChecker, key string, v []int, n int) {
	if len(v) != n {
		cc.fail(key, "has %d entries, want %d", len(v), n)
		return
	}
	for _, d := range v {
		if d <= 0 {
			cc.fail(key, "is %v, want positive entries", v)
			return
		}
	}
}

// mlxVideoVAE22 is the only Wan2.2 VAE mlx-video's Wan22VAEEncoder and
// Wan22VAEDecoder build (their sizes are fixed in code): TI2V-5B's.
var mlxVideoVAE22 = VAEArch{Dim: 160, DecDim: 256, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
	AttnScales: []float64{}, TemperalDownsample: []bool{false, true, true}, TemperalUpsample: []bool{true, true, false}}

// MLXVideoRuntimeNotes lists what mlx-video's runtime cannot run although
// the checkpoint is well-formed: its VAE modules have TI2V-5B's sizes built
// in, and it builds the T5 encoder without a shared position embedding.
func MLXVideoRuntimeNotes(w MLXVideoWeights) []string {
	var notes []string
	if v := w.VAE; v != nil && !vaeArchEqual(v, &mlxVideoVAE22) {
		notes = append(notes, fmt.Sprintf("mlx-video's Wan2.2 VAE modules are built with TI2V-5B's sizes "+
			"(dim 160, dec_dim 256, z_dim 48, dim_mult [1 2 4 4]); this VAE (dim %d, dec_dim %d, z_dim %d, dim_mult %v) does not fit them",
			v.Dim, v.DecDim, v.ZDim, v.DimMult))
	}
	if t := w.T5; t != nil && t.SharedPos {
		notes = append(notes, "mlx-video builds the T5 encoder with per-block position embeddings; this one shares one (shared_pos)")
	}
	return notes
}

func vaeArchEqual(a, b *VAEArch) bool {
	return a.Dim == b.Dim && a.DecDim == b.DecDim && a.ZDim == b.ZDim && slices.Equal(a.DimMult, b.DimMult) &&
		a.NumResBlocks == b.NumResBlocks && slices.Equal(a.TemperalDownsample, b.TemperalDownsample) &&
		slices.Equal(a.TemperalUpsample, b.TemperalUpsample)
}
