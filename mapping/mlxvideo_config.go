package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MLXVideoConfigFile is the config.json of the mlx-video layout: every field
// of mlx-video's WanModelConfig dataclass (mlx_video/models/wan_2/config.py),
// in its order. mlx-video builds the DiT, the T5 encoder and the choice of
// VAE from it and takes its sampling defaults from it; a field it lacks gets
// the dataclass default (MLXVideoDefaults).
type MLXVideoConfigFile struct {
	ModelType     string  `json:"model_type"`
	ModelVersion  string  `json:"model_version"`
	PatchSize     []int   `json:"patch_size"`
	TextLen       int     `json:"text_len"`
	InDim         int     `json:"in_dim"`
	Dim           int     `json:"dim"`
	FFNDim        int     `json:"ffn_dim"`
	FreqDim       int     `json:"freq_dim"`
	TextDim       int     `json:"text_dim"`
	OutDim        int     `json:"out_dim"`
	NumHeads      int     `json:"num_heads"`
	NumLayers     int     `json:"num_layers"`
	WindowSize    []int   `json:"window_size"`
	QKNorm        bool    `json:"qk_norm"`
	CrossAttnNorm bool    `json:"cross_attn_norm"`
	Eps           PyFloat `json:"eps"`

	// Speech-to-video fields; unused by the other model types.
	AudioDim             int    `json:"audio_dim"`
	NumAudioToken        int    `json:"num_audio_token"`
	AudioInjectLayers    []int  `json:"audio_inject_layers"`
	CondDim              int    `json:"cond_dim"`
	EnableAdain          bool   `json:"enable_adain"`
	AdainMode            string `json:"adain_mode"`
	EnableFramepack      bool   `json:"enable_framepack"`
	FramepackDropMode    string `json:"framepack_drop_mode"`
	EnableMotioner       bool   `json:"enable_motioner"`
	MotionTokenNum       int    `json:"motion_token_num"`
	TrainableTokenPosEmb bool   `json:"trainable_token_pos_emb"`
	AddLastMotion        bool   `json:"add_last_motion"`
	ZeroTimestep         bool   `json:"zero_timestep"`
	ZeroInit             bool   `json:"zero_init"`

	VAEStride []int `json:"vae_stride"`
	VAEZDim   int   `json:"vae_z_dim"`

	DualModel         bool       `json:"dual_model"`
	Boundary          PyFloat    `json:"boundary"`
	SampleShift       PyFloat    `json:"sample_shift"`
	SampleSteps       int        `json:"sample_steps"`
	SampleGuideScale  GuideScale `json:"sample_guide_scale"`
	NumTrainTimesteps int        `json:"num_train_timesteps"`
	SampleFPS         int        `json:"sample_fps"`
	FrameNum          int        `json:"frame_num"`
	SampleNegPrompt   string     `json:"sample_neg_prompt"`
	MaxArea           int        `json:"max_area"`

	T5VocabSize  int `json:"t5_vocab_size"`
	T5Dim        int `json:"t5_dim"`
	T5DimAttn    int `json:"t5_dim_attn"`
	T5DimFFN     int `json:"t5_dim_ffn"`
	T5NumHeads   int `json:"t5_num_heads"`
	T5NumLayers  int `json:"t5_num_layers"`
	T5NumBuckets int `json:"t5_num_buckets"`

	// Quantization is what mlx-video's quantizer adds; absent otherwise.
	Quantization *MLXVideoQuantization `json:"quantization,omitempty"`
}

// MLXVideoQuantization is config.json's "quantization" object.
type MLXVideoQuantization struct {
	GroupSize int `json:"group_size"`
	Bits      int `json:"bits"`
}

// PyFloat is a float written the way Python's json writes one, always with
// a fraction or exponent ("5.0", "1e-06"), so that it reads back as a float.
type PyFloat float64

// MarshalJSON implements json.Marshaler.
func (f PyFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("%v is not a JSON number", v)
	}
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return []byte(s), nil
}

// GuideScale is sample_guide_scale: one scale, or (low noise, high noise)
// for the two experts of an A14B release.
type GuideScale []float64

// MarshalJSON writes one scale as a number, two as an array.
func (g GuideScale) MarshalJSON() ([]byte, error) {
	fs := make([]PyFloat, len(g))
	for i, v := range g {
		fs[i] = PyFloat(v)
	}
	if len(fs) == 1 {
		return json.Marshal(fs[0])
	}
	return json.Marshal(fs)
}

// UnmarshalJSON accepts a number or an array of numbers.
func (g *GuideScale) UnmarshalJSON(data []byte) error {
	var one float64
	if err := json.Unmarshal(data, &one); err == nil {
		*g = GuideScale{one}
		return nil
	}
	var many []float64
	if err := json.Unmarshal(data, &many); err != nil {
		return fmt.Errorf("want a number or an array of numbers, got %s", data)
	}
	*g = many
	return nil
}

// upstreamNegPrompt is sample_neg_prompt of upstream's wan/configs/shared_config.py.
const upstreamNegPrompt = "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，" +
	"最差质量，低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，" +
	"画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，" +
	"杂乱的背景，三条腿，背景人很多，倒着走"

// MLXVideoDefaults returns WanModelConfig's dataclass defaults (a Wan2.2
// T2V-A14B): what mlx-video assumes for every field config.json lacks.
func MLXVideoDefaults() MLXVideoConfigFile {
	return MLXVideoConfigFile{
		ModelType: "t2v", ModelVersion: "2.2", PatchSize: []int{1, 2, 2}, TextLen: 512,
		InDim: 16, Dim: 5120, FFNDim: 13824, FreqDim: 256, TextDim: 4096, OutDim: 16,
		NumHeads: 40, NumLayers: 40, WindowSize: []int{-1, -1}, QKNorm: true, CrossAttnNorm: true, Eps: 1e-6,
		NumAudioToken: 4, AudioInjectLayers: []int{}, AdainMode: "attn_norm", FramepackDropMode: "padd",
		MotionTokenNum: 1024, AddLastMotion: true,
		VAEStride: []int{4, 8, 8}, VAEZDim: 16,
		DualModel: true, Boundary: 0.875, SampleShift: 12.0, SampleSteps: 40, SampleGuideScale: GuideScale{3.0, 4.0},
		NumTrainTimesteps: 1000, SampleFPS: 16, FrameNum: 81, SampleNegPrompt: upstreamNegPrompt,
		T5VocabSize: 256384, T5Dim: 4096, T5DimAttn: 4096, T5DimFFN: 10240, T5NumHeads: 64, T5NumLayers: 24, T5NumBuckets: 32,
	}
}

// ReleaseKind names a Wan2.2 release by upstream's config name; it fixes the
// model type, the number of experts and the sampling defaults.
type ReleaseKind string

const (
	ReleaseTI2V5B  ReleaseKind = "ti2v-5B"  // one model, Wan2.2 VAE (z_dim 48)
	ReleaseT2VA14B ReleaseKind = "t2v-A14B" // high/low-noise experts, Wan2.1 VAE (z_dim 16)
	ReleaseI2VA14B ReleaseKind = "i2v-A14B" // high/low-noise experts, Wan2.1 VAE, in_dim 36
)

// releasePreset is upstream's wan/configs/wan_<kind>.py inference section.
type releasePreset struct {
	modelType         string
	dual              bool
	boundary, shift   float64
	steps, fps, frame int
	guide             GuideScale
	maxArea           int // mlx-video's resolution cap (0: none)
	vaeZDim           int // when the release's VAE is not a VAEArch (Wan2.1 VAE)
	vaeStride         []int
}

var releasePresets = map[ReleaseKind]releasePreset{
	ReleaseTI2V5B: {modelType: "ti2v", shift: 5.0, steps: 50, fps: 24, frame: 121, guide: GuideScale{5.0},
		maxArea: 704 * 1280},
	ReleaseT2VA14B: {modelType: "t2v", dual: true, boundary: 0.875, shift: 12.0, steps: 40, fps: 16, frame: 81,
		guide: GuideScale{3.0, 4.0}, vaeZDim: 16, vaeStride: []int{4, 8, 8}},
	ReleaseI2VA14B: {modelType: "i2v", dual: true, boundary: 0.900, shift: 5.0, steps: 40, fps: 16, frame: 81,
		guide: GuideScale{3.5, 3.5}, maxArea: 704 * 1280, vaeZDim: 16, vaeStride: []int{4, 8, 8}},
}

// ParseReleaseKind accepts "ti2v-5B", "t2v-A14B" or "i2v-A14B".
func ParseReleaseKind(s string) (ReleaseKind, error) {
	if _, ok := releasePresets[ReleaseKind(s)]; ok {
		return ReleaseKind(s), nil
	}
	return "", fmt.Errorf("unknown release kind %q (want ti2v-5B, t2v-A14B or i2v-A14B)", s)
}

// ReleaseKindOf names the release a DiT belongs to from its model_type and
// the number of experts (DiT files) of the release.
func ReleaseKindOf(dit *DiTArch, experts int) (ReleaseKind, error) {
	for _, k := range []ReleaseKind{ReleaseTI2V5B, ReleaseT2VA14B, ReleaseI2VA14B} {
		p := releasePresets[k]
		if dit != nil && dit.ModelType == p.modelType && experts == map[bool]int{false: 1, true: 2}[p.dual] {
			return k, nil
		}
	}
	mt := ""
	if dit != nil {
		mt = dit.ModelType
	}
	return "", fmt.Errorf("no Wan2.2 release has model_type %q with %d expert(s) (ti2v: 1, t2v and i2v: 2)", mt, experts)
}

// VAEStride is the (time, height, width) pixels one latent covers: 2 per
// temporal downsample, 2 per spatial downsample times the 2×2 patchify.
func (a *VAEArch) VAEStride() []int {
	t := 1
	for _, d := range a.TemperalDownsample {
		if d {
			t *= 2
		}
	}
	s := vaePatchify
	for i := 1; i < len(a.DimMult); i++ {
		s *= 2
	}
	return []int{t, s, s}
}

// vaePatchify is the Wan2.2 VAE's spatial patch size (12 = 3·2·2 channels).
const vaePatchify = 2

// MLXVideoConfig builds the config.json of the mlx-video layout for a
// release of the given kind from the architectures read off its weights.
// The DiT's config-only fields (num_heads; text_len and eps, upstream's 512
// and 1e-6 when zero) must be known. vae may be nil for the A14B kinds,
// whose Wan2.1 VAE has no VAEArch. The output is deterministic: fields in
// WanModelConfig's order, two-space indented, ending in a newline.
func MLXVideoConfig(kind ReleaseKind, dit *DiTArch, t5 *T5Arch, vae *VAEArch) ([]byte, error) {
	return MLXVideoConfigQuantized(kind, dit, t5, vae, nil)
}

// MLXVideoConfigQuantized is MLXVideoConfig for a DiT whose Linears are
// quantized as q says (nil: not quantized): config.json then ends with the
// "quantization" object mlx-video's loader reads.
func MLXVideoConfigQuantized(kind ReleaseKind, dit *DiTArch, t5 *T5Arch, vae *VAEArch, q *MLXVideoQuantization) ([]byte, error) {
	p, ok := releasePresets[kind]
	if !ok {
		return nil, fmt.Errorf("unknown release kind %q", kind)
	}
	if dit == nil || t5 == nil {
		return nil, fmt.Errorf("%s: the DiT and T5 architectures are required", kind)
	}
	if dit.ModelType != "" && dit.ModelType != p.modelType {
		return nil, fmt.Errorf("%s: the DiT's model_type is %q, the release kind needs %q", kind, dit.ModelType, p.modelType)
	}
	if dit.NumHeads <= 0 {
		return nil, fmt.Errorf("%s: the DiT's num_heads is unknown (it comes from config.json)", kind)
	}
	c := MLXVideoDefaults()
	c.ModelType, c.ModelVersion = p.modelType, "2.2"
	c.PatchSize, c.WindowSize = append([]int(nil), dit.PatchSize...), append([]int(nil), dit.WindowSize...)
	c.TextLen, c.Eps = dit.TextLen, PyFloat(dit.Eps)
	if c.TextLen == 0 {
		c.TextLen = 512
	}
	if c.Eps == 0 {
		c.Eps = 1e-6
	}
	c.InDim, c.Dim, c.FFNDim, c.FreqDim = dit.InDim, dit.Dim, dit.FFNDim, dit.FreqDim
	c.TextDim, c.OutDim, c.NumHeads, c.NumLayers = dit.TextDim, dit.OutDim, dit.NumHeads, dit.NumLayers
	c.QKNorm, c.CrossAttnNorm = dit.QKNorm, dit.CrossAttnNorm

	switch {
	case vae != nil:
		c.VAEZDim, c.VAEStride = vae.ZDim, vae.VAEStride()
	case p.vaeZDim != 0:
		c.VAEZDim, c.VAEStride = p.vaeZDim, append([]int(nil), p.vaeStride...)
	default:
		return nil, fmt.Errorf("%s: the VAE architecture is required", kind)
	}
	c.DualModel, c.Boundary, c.SampleShift, c.SampleSteps = p.dual, PyFloat(p.boundary), PyFloat(p.shift), p.steps
	c.SampleGuideScale = append(GuideScale(nil), p.guide...)
	c.SampleFPS, c.FrameNum, c.MaxArea = p.fps, p.frame, p.maxArea

	c.T5VocabSize, c.T5Dim, c.T5DimAttn, c.T5DimFFN = t5.Vocab, t5.Dim, t5.DimAttn, t5.DimFFN
	c.T5NumHeads, c.T5NumLayers, c.T5NumBuckets = t5.NumHeads, t5.NumLayers, t5.NumBuckets
	if q != nil {
		c.Quantization = &MLXVideoQuantization{GroupSize: q.GroupSize, Bits: q.Bits}
	}

	w := MLXVideoWeights{DiT: dit, T5: t5, VAE: vae, Experts: 1}
	if p.dual {
		w.Experts = 2
	}
	if probs := checkMLXVideo(&c, nil, w); len(probs) > 0 {
		return nil, fmt.Errorf("%s: the architectures do not make an mlx-video config: %s", kind, probs[0])
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
