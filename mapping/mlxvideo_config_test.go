package mapping

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// wanModelConfigFields are the fields of mlx-video's WanModelConfig
// dataclass, in declaration order (mlx_video/models/wan_2/config.py).
var wanModelConfigFields = strings.Fields(`model_type model_version patch_size text_len in_dim dim ffn_dim
freq_dim text_dim out_dim num_heads num_layers window_size qk_norm cross_attn_norm eps audio_dim num_audio_token
audio_inject_layers cond_dim enable_adain adain_mode enable_framepack framepack_drop_mode enable_motioner
motion_token_num trainable_token_pos_emb add_last_motion zero_timestep zero_init vae_stride vae_z_dim dual_model
boundary sample_shift sample_steps sample_guide_scale num_train_timesteps sample_fps frame_num sample_neg_prompt
max_area t5_vocab_size t5_dim t5_dim_attn t5_dim_ffn t5_num_heads t5_num_layers t5_num_buckets`)

// ti2v5BMLXVideo is the TI2V-5B config.json, every value typed from
// upstream's wan/configs/wan_ti2v_5B.py and shared_config.py, the release's
// config.json and the umt5-xxl sizes (sample_neg_prompt aside).
const ti2v5BMLXVideo = `{"model_type": "ti2v", "model_version": "2.2", "patch_size": [1, 2, 2], "text_len": 512,
 "in_dim": 48, "dim": 3072, "ffn_dim": 14336, "freq_dim": 256, "text_dim": 4096, "out_dim": 48, "num_heads": 24,
 "num_layers": 30, "window_size": [-1, -1], "qk_norm": true, "cross_attn_norm": true, "eps": 1e-06,
 "audio_dim": 0, "num_audio_token": 4, "audio_inject_layers": [], "cond_dim": 0, "enable_adain": false,
 "adain_mode": "attn_norm", "enable_framepack": false, "framepack_drop_mode": "padd", "enable_motioner": false,
 "motion_token_num": 1024, "trainable_token_pos_emb": false, "add_last_motion": true, "zero_timestep": false,
 "zero_init": false, "vae_stride": [4, 16, 16], "vae_z_dim": 48, "dual_model": false, "boundary": 0.0,
 "sample_shift": 5.0, "sample_steps": 50, "sample_guide_scale": 5.0, "num_train_timesteps": 1000,
 "sample_fps": 24, "frame_num": 121, "max_area": 901120, "t5_vocab_size": 256384, "t5_dim": 4096,
 "t5_dim_attn": 4096, "t5_dim_ffn": 10240, "t5_num_heads": 64, "t5_num_layers": 24, "t5_num_buckets": 32}`

// inventoryWeights infers the TI2V-5B architectures from the inventory.
func inventoryWeights(t *testing.T) MLXVideoWeights {
	t.Helper()
	w := MLXVideoWeights{Experts: 1}
	for _, c := range Components {
		src, _ := loadInventory(t, c)
		plan, err := PlanComponent(c, src, []byte(ti2v5BConfig))
		require.NoError(t, err)
		switch a := plan.Arch.(type) {
		case *DiTArch:
			w.DiT = a
		case *T5Arch:
			w.T5 = a
		case *VAEArch:
			w.VAE = a
		}
	}
	return w
}

func TestMLXVideoConfigTI2V5B(t *testing.T) {
	w := inventoryWeights(t)
	data, err := MLXVideoConfig(ReleaseTI2V5B, w.DiT, w.T5, w.VAE)
	require.NoError(t, err)

	var got, want map[string]any
	require.NoError(t, json.Unmarshal(data, &got))
	require.NoError(t, json.Unmarshal([]byte(ti2v5BMLXVideo), &want))
	require.Contains(t, got, "sample_neg_prompt")
	require.True(t, strings.HasPrefix(got["sample_neg_prompt"].(string), "色调艳丽，过曝"))
	delete(got, "sample_neg_prompt")
	require.Equal(t, want, got)

	// Every WanModelConfig field, in the dataclass order; floats as floats.
	raw, keys, err := topLevelObject(data)
	require.NoError(t, err)
	require.Equal(t, wanModelConfigFields, keys)
	require.Equal(t, wanModelConfigFields, MLXVideoConfigFields())
	for key, text := range map[string]string{"eps": "1e-06", "boundary": "0.0", "sample_shift": "5.0",
		"sample_guide_scale": "5.0", "sample_steps": "50", "vae_stride": "[\n    4,\n    16,\n    16\n  ]"} {
		require.Equal(t, text, string(raw[key]), key)
	}
	require.True(t, strings.HasSuffix(string(data), "}\n"))
	again, err := MLXVideoConfig(ReleaseTI2V5B, w.DiT, w.T5, w.VAE)
	require.NoError(t, err)
	require.Equal(t, data, again, "deterministic")

	parsed, err := ParseMLXVideoConfig(data)
	require.NoError(t, err)
	require.Empty(t, parsed.Missing)
	require.Empty(t, parsed.Unknown)
	require.Equal(t, 901120, parsed.MaxArea)
	require.Equal(t, GuideScale{5.0}, parsed.SampleGuideScale)
	require.Nil(t, CheckMLXVideoConfig(data, w))
	require.Empty(t, MLXVideoRuntimeNotes(w))

	// Quantized: the same fields, then the quantization object, last.
	q, err := MLXVideoConfigQuantized(ReleaseTI2V5B, w.DiT, w.T5, w.VAE, &MLXVideoQuantization{GroupSize: 32, Bits: 8})
	require.NoError(t, err)
	raw, keys, err = topLevelObject(q)
	require.NoError(t, err)
	require.Equal(t, append(append([]string(nil), wanModelConfigFields...), "quantization"), keys)
	require.Equal(t, "{\n    \"group_size\": 32,\n    \"bits\": 8\n  }", string(raw["quantization"]))
	require.Equal(t, string(data), strings.Replace(string(q), ",\n  \"quantization\": "+string(raw["quantization"]), "", 1))
	parsed, err = ParseMLXVideoConfig(q)
	require.NoError(t, err)
	require.Equal(t, &MLXVideoQuantization{GroupSize: 32, Bits: 8}, parsed.Quantization)
	require.Nil(t, CheckMLXVideoConfig(q, w))
}

// setField rewrites one top-level field of a config.json.
func setField(t *testing.T, data []byte, key, value string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &m))
	if value == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(value)
	}
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

func fields(probs []ConfigProblem) []string {
	var out []string
	for _, p := range probs {
		out = append(out, p.Field)
	}
	return out
}

func TestMLXVideoConfigContradictions(t *testing.T) {
	w := inventoryWeights(t)
	good, err := MLXVideoConfig(ReleaseTI2V5B, w.DiT, w.T5, w.VAE)
	require.NoError(t, err)
	cases := []struct {
		key, value string
		want       []string // fields named, in order
		detail     string
	}{
		{"dim", "4096", []string{"num_heads", "dim"}, "is 4096 but the weights have 3072 (patch_embedding_proj.bias)"},
		{"num_layers", "29", []string{"num_layers"}, "is 29 but the weights have 30"},
		{"in_dim", "16", []string{"in_dim", "in_dim"}, "takes 48 latent channels"},
		{"vae_z_dim", "16", []string{"in_dim", "out_dim", "vae_z_dim"}, "is 16 but the weights have 48"},
		{"vae_stride", "[4, 8, 8]", []string{"vae_stride"}, "is [4 8 8] but the weights have [4 16 16]"},
		{"t5_dim_ffn", "4096", []string{"t5_dim_ffn"}, "is 4096 but the weights have 10240"},
		{"t5_num_heads", "32", []string{"t5_num_heads"}, "is 32 but the weights have 64"},
		{"dual_model", "true", []string{"boundary", "dual_model"}, "is true but the checkpoint has one model"},
		{"patch_size", "[1, 4, 4]", []string{"patch_size"}, "is [1 4 4] but the weights have [1 2 2]"},
		{"num_heads", "7", []string{"num_heads", "num_heads"}, "does not divide dim 3072"},
		{"qk_norm", "false", []string{"qk_norm"}, "is false but the weights have true"},
		{"frame_num", "120", []string{"frame_num"}, "want 4n+1"},
		{"model_type", `"i2v"`, []string{"in_dim", "model_type"}, "a i2v model with vae_z_dim 48 takes 100"},
		{"sample_guide_scale", "[1, 2, 3]", []string{"sample_guide_scale"}, "has 3 entries"},
		{"dim", "", []string{"num_heads", "dim"}, "(config.json lacks dim: mlx-video uses its default)"},
	}
	for _, tc := range cases {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			probs := CheckMLXVideoConfig(setField(t, good, tc.key, tc.value), w)
			require.Equal(t, tc.want, fields(probs), "%v", probs)
			var all []string
			for _, p := range probs {
				all = append(all, p.String())
			}
			require.Contains(t, strings.Join(all, "\n"), tc.detail)
		})
	}
	// Two experts where the config says one model.
	w2 := w
	w2.Experts = 2
	require.Equal(t, []string{"dual_model"}, fields(CheckMLXVideoConfig(good, w2)))
}

// TestMLXVideoConfigUpstream: upstream's diffusers config.json is not an
// mlx-video config: mlx-video would assume two experts and the Wan2.1 VAE.
func TestMLXVideoConfigUpstream(t *testing.T) {
	w := inventoryWeights(t)
	probs := CheckMLXVideoConfig([]byte(ti2v5BConfig), w)
	require.Equal(t, []string{"in_dim", "out_dim", "vae_z_dim", "vae_stride", "dual_model"}, fields(probs), "%v", probs)
	for _, p := range probs {
		require.Contains(t, p.Detail, "config.json lacks", p)
	}
	parsed, err := ParseMLXVideoConfig([]byte(ti2v5BConfig))
	require.NoError(t, err)
	require.Equal(t, []string{"_class_name"}, parsed.Unknown)
	require.Contains(t, parsed.Missing, "dual_model")
	require.True(t, parsed.DualModel)
}

func TestParseMLXVideoConfigStrict(t *testing.T) {
	cases := map[string]string{
		`{"dim": 3072, "dim": 3072}`:      `key "dim" occurs twice`,
		`{"dim": 3072} {}`:                "data after the JSON object",
		`[1, 2]`:                          "not a JSON object",
		`{"dim": 3072`:                    "not JSON",
		``:                                "not JSON",
		`{"dim": null}`:                   "config.json field dim: is null, want an integer",
		`{"dim": 3072.0}`:                 "config.json field dim: has 3072.0, want an integer",
		`{"dim": "3072"}`:                 `field dim: has "3072", want an integer`,
		`{"qk_norm": 1}`:                  "field qk_norm: has 1, want true or false",
		`{"patch_size": [1, 2.5, 2]}`:     "field patch_size: has [1, 2.5, 2], want an array of integers",
		`{"sample_guide_scale": "5"}`:     "field sample_guide_scale: has \"5\", want a number or an array of numbers",
		`{"eps": "1e-6"}`:                 "field eps: has \"1e-6\", want a number",
		`{"quantization": null}`:          "field quantization: is null",
		`{"quantization": {"bits": "4"}}`: "field quantization: has",
	}
	for in, want := range cases {
		_, err := ParseMLXVideoConfig([]byte(in))
		require.ErrorContains(t, err, want, in)
		var cp *ConfigProblem
		require.ErrorAs(t, err, &cp)
	}
	p, err := ParseMLXVideoConfig([]byte(`{"sample_guide_scale": [3, 4], "quantization": {"group_size": 64, "bits": 4}, "zz": 1}`))
	require.NoError(t, err)
	require.Equal(t, GuideScale{3, 4}, p.SampleGuideScale)
	require.Equal(t, &MLXVideoQuantization{GroupSize: 64, Bits: 4}, p.Quantization)
	require.Equal(t, []string{"zz"}, p.Unknown)
	require.Len(t, p.Missing, len(wanModelConfigFields)-1)
	// The defaults are mlx-video's dataclass defaults.
	require.Equal(t, 5120, p.Dim)
	require.Equal(t, 16, p.VAEZDim)
	require.Equal(t, PyFloat(0.875), p.Boundary)
	require.Equal(t, []string{"quantization"}, fields(CheckMLXVideoConfig(setField(t, []byte(`{}`), "quantization", `{"group_size": 48, "bits": 4}`), MLXVideoWeights{})))
}

func TestPyFloat(t *testing.T) {
	for v, want := range map[float64]string{5: "5.0", 0: "0.0", 1e-6: "1e-06", 0.875: "0.875", 12: "12.0", -1.5: "-1.5"} {
		got, err := json.Marshal(PyFloat(v))
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	}
	for v, want := range map[string]GuideScale{"5.0": {5}, "[3.5, 3.5]": {3.5, 3.5}} {
		var g GuideScale
		require.NoError(t, json.Unmarshal([]byte(v), &g))
		require.Equal(t, want, g)
		out, err := json.Marshal(g)
		require.NoError(t, err)
		require.Equal(t, strings.ReplaceAll(v, " ", ""), string(out))
	}
}

// TestMLXVideoConfigA14B: the A14B kinds get mlx-video's presets (upstream's
// t2v_A14B / i2v_A14B inference sections) with the Wan2.1 VAE's z_dim 16.
func TestMLXVideoConfigA14B(t *testing.T) {
	t5 := &T5Arch{Vocab: 256384, Dim: 4096, DimAttn: 4096, DimFFN: 10240, NumHeads: 64, NumLayers: 24, NumBuckets: 32}
	dit := func(mt string, in int) *DiTArch {
		return &DiTArch{ModelType: mt, PatchSize: []int{1, 2, 2}, TextLen: 512, InDim: in, Dim: 5120, FFNDim: 13824,
			FreqDim: 256, TextDim: 4096, OutDim: 16, NumHeads: 40, NumLayers: 40, WindowSize: []int{-1, -1},
			QKNorm: true, CrossAttnNorm: true, Eps: 1e-6}
	}
	for _, tc := range []struct {
		kind  ReleaseKind
		dit   *DiTArch
		check func(p *ParsedMLXVideoConfig)
	}{
		{ReleaseT2VA14B, dit("t2v", 16), func(p *ParsedMLXVideoConfig) {
			require.Equal(t, MLXVideoDefaults(), p.MLXVideoConfigFile) // the dataclass defaults are T2V-A14B
		}},
		{ReleaseI2VA14B, dit("i2v", 36), func(p *ParsedMLXVideoConfig) {
			require.Equal(t, "i2v", p.ModelType)
			require.Equal(t, 36, p.InDim)
			require.Equal(t, PyFloat(0.9), p.Boundary)
			require.Equal(t, PyFloat(5.0), p.SampleShift)
			require.Equal(t, GuideScale{3.5, 3.5}, p.SampleGuideScale)
			require.Equal(t, 704*1280, p.MaxArea)
			require.True(t, p.DualModel)
			require.Equal(t, []int{4, 8, 8}, p.VAEStride)
		}},
	} {
		data, err := MLXVideoConfig(tc.kind, tc.dit, t5, nil)
		require.NoError(t, err, tc.kind)
		p, err := ParseMLXVideoConfig(data)
		require.NoError(t, err)
		tc.check(p)
		require.Nil(t, CheckMLXVideoConfig(data, MLXVideoWeights{DiT: tc.dit, T5: t5, Experts: 2}))
	}
	_, err := MLXVideoConfig(ReleaseI2VA14B, dit("t2v", 16), t5, nil)
	require.ErrorContains(t, err, `model_type is "t2v", the release kind needs "i2v"`)
	_, err = MLXVideoConfig(ReleaseTI2V5B, dit("ti2v", 16), t5, nil)
	require.ErrorContains(t, err, "the VAE architecture is required")
	_, err = MLXVideoConfig("wan-9000", dit("t2v", 16), t5, nil)
	require.ErrorContains(t, err, "unknown release kind")
	noHeads := dit("t2v", 16)
	noHeads.NumHeads = 0
	_, err = MLXVideoConfig(ReleaseT2VA14B, noHeads, t5, nil)
	require.ErrorContains(t, err, "num_heads is unknown")
	for _, tc := range []struct {
		mt      string
		experts int
		want    ReleaseKind
	}{{"ti2v", 1, ReleaseTI2V5B}, {"t2v", 2, ReleaseT2VA14B}, {"i2v", 2, ReleaseI2VA14B}, {"t2v", 1, ""}, {"", 1, ""}} {
		got, err := ReleaseKindOf(&DiTArch{ModelType: tc.mt}, tc.experts)
		require.Equal(t, tc.want, got, "%s %d", tc.mt, tc.experts)
		require.Equal(t, tc.want == "", err != nil)
	}
	_, err = ReleaseKindOf(nil, 1)
	require.ErrorContains(t, err, `model_type ""`)
	k, err := ParseReleaseKind("ti2v-5B")
	require.NoError(t, err)
	require.Equal(t, ReleaseTI2V5B, k)
	_, err = ParseReleaseKind("ti2v")
	require.Error(t, err)
}

// TestMLXVideoConfigTiny: the tiny release gets a consistent config; its VAE
// is too small for mlx-video's fixed-size VAE modules, which the notes say.
func TestMLXVideoConfigTiny(t *testing.T) {
	srcs, cfg := tinySources(t)
	w := MLXVideoWeights{Experts: 1}
	for _, c := range Components {
		plan, err := PlanLayout(LayoutMLXVideo, c, srcs[c], cfg)
		require.NoError(t, err)
		switch a := plan.Arch.(type) {
		case *DiTArch:
			w.DiT = a
		case *T5Arch:
			w.T5 = a
		case *VAEArch:
			w.VAE = a
		}
	}
	data, err := MLXVideoConfig(ReleaseTI2V5B, w.DiT, w.T5, w.VAE)
	require.NoError(t, err)
	p, err := ParseMLXVideoConfig(data)
	require.NoError(t, err)
	require.Equal(t, 128, p.Dim)
	require.Equal(t, 32, p.TextLen)
	require.Equal(t, 64, p.T5Dim)
	require.Equal(t, 512, p.T5VocabSize)
	require.Equal(t, w.VAE.ZDim, p.VAEZDim)
	require.Nil(t, CheckMLXVideoConfig(data, w))
	notes := MLXVideoRuntimeNotes(w)
	require.Len(t, notes, 1)
	require.Contains(t, notes[0], "does not fit them")
}
