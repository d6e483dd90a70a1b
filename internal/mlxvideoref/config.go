package mlxvideoref

import (
	"encoding/json"
	"fmt"
)

// Fields is every field of mlx-video's WanModelConfig dataclass
// (mlx_video/models/wan_2/config.py), in its order, written down here from
// that file rather than taken from mapping.
var Fields = []string{
	"model_type", "model_version", "patch_size", "text_len", "in_dim", "dim", "ffn_dim",
	"freq_dim", "text_dim", "out_dim", "num_heads", "num_layers", "window_size", "qk_norm",
	"cross_attn_norm", "eps",
	"audio_dim", "num_audio_token", "audio_inject_layers", "cond_dim", "enable_adain", "adain_mode",
	"enable_framepack", "framepack_drop_mode", "enable_motioner", "motion_token_num",
	"trainable_token_pos_emb", "add_last_motion", "zero_timestep", "zero_init",
	"vae_stride", "vae_z_dim",
	"dual_model", "boundary", "sample_shift", "sample_steps", "sample_guide_scale",
	"num_train_timesteps", "sample_fps", "frame_num", "sample_neg_prompt", "max_area",
	"t5_vocab_size", "t5_dim", "t5_dim_attn", "t5_dim_ffn", "t5_num_heads", "t5_num_layers", "t5_num_buckets",
}

// negPrompt is upstream's sample_neg_prompt (wan/configs/shared_config.py).
const negPrompt = "色调艳丽，过曝，静态，细节模糊不清，字幕，风格，作品，画作，画面，静止，整体发灰，" +
	"最差质量，低质量，JPEG压缩残留，丑陋的，残缺的，多余的手指，画得不好的手部，" +
	"画得不好的脸部，畸形的，毁容的，形态畸形的肢体，手指融合，静止不动的画面，" +
	"杂乱的背景，三条腿，背景人很多，倒着走"

// facts is the part of a tiny release's golden.json (written by the upstream
// PyTorch generator) that fixes the configuration.
type facts struct {
	DiT struct {
		Config map[string]any `json:"config"`
	} `json:"dit"`
	T5 struct {
		Config map[string]any `json:"config"`
	} `json:"t5"`
	VAE struct {
		Config struct {
			ZDim               int    `json:"z_dim"`
			DimMult            []int  `json:"dim_mult"`
			TemperalDownsample []bool `json:"temperal_downsample"`
		} `json:"config"`
	} `json:"vae"`
}

// TI2VConfig is the complete WanModelConfig dictionary of a single-model
// Wan2.2 TI2V release, as JSON decodes it (numbers float64, lists []any): the
// DiT fields from the upstream DiT config of factsJSON (golden.json of a tiny
// release), the t5_* fields from its T5 config, vae_z_dim and vae_stride
// from its VAE config, upstream's ti2v-5B sampling defaults (wan/configs/
// wan_ti2v_5B.py) and WanModelConfig's defaults for the speech-to-video
// fields.
func TI2VConfig(factsJSON []byte) (map[string]any, error) {
	var f facts
	if err := json.Unmarshal(factsJSON, &f); err != nil {
		return nil, err
	}
	out := map[string]any{"model_version": "2.2"}
	for _, k := range []string{"model_type", "patch_size", "text_len", "in_dim", "dim", "ffn_dim", "freq_dim",
		"text_dim", "out_dim", "num_heads", "num_layers", "window_size", "qk_norm", "cross_attn_norm", "eps"} {
		v, ok := f.DiT.Config[k]
		if !ok {
			return nil, fmt.Errorf("dit.config.%s missing", k)
		}
		out[k] = v
	}
	for k, from := range map[string]string{"t5_vocab_size": "vocab", "t5_dim": "dim", "t5_dim_attn": "dim_attn",
		"t5_dim_ffn": "dim_ffn", "t5_num_heads": "num_heads", "t5_num_layers": "num_layers", "t5_num_buckets": "num_buckets"} {
		v, ok := f.T5.Config[from]
		if !ok {
			return nil, fmt.Errorf("t5.config.%s missing", from)
		}
		out[k] = v
	}
	// Each temporal downsample halves time; the spatial stages halve height
	// and width after the Wan2.2 VAE's 2×2 patchify.
	t, s := 1.0, 2.0
	for _, d := range f.VAE.Config.TemperalDownsample {
		if d {
			t *= 2
		}
	}
	for range f.VAE.Config.DimMult[1:] {
		s *= 2
	}
	out["vae_z_dim"] = float64(f.VAE.Config.ZDim)
	out["vae_stride"] = []any{t, s, s}
	for k, v := range map[string]any{
		"audio_dim": 0.0, "num_audio_token": 4.0, "audio_inject_layers": []any{}, "cond_dim": 0.0,
		"enable_adain": false, "adain_mode": "attn_norm", "enable_framepack": false, "framepack_drop_mode": "padd",
		"enable_motioner": false, "motion_token_num": 1024.0, "trainable_token_pos_emb": false,
		"add_last_motion": true, "zero_timestep": false, "zero_init": false,
		"dual_model": false, "boundary": 0.0, "sample_shift": 5.0, "sample_steps": 50.0, "sample_guide_scale": 5.0,
		"num_train_timesteps": 1000.0, "sample_fps": 24.0, "frame_num": 121.0, "sample_neg_prompt": negPrompt,
		"max_area": float64(704 * 1280),
	} {
		out[k] = v
	}
	return out, nil
}
