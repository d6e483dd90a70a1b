package mapping

import (
	"bytes"
	"encoding/json"
	"slices"
)

// applyDiTConfig fills the config-only fields of a from config.json and
// checks every field the weights already determined against it.
func applyDiTConfig(f *inferer, a *DiTArch, configJSON []byte) {
	var cfg ditConfig
	dec := json.NewDecoder(bytes.NewReader(configJSON))
	if err := dec.Decode(&cfg); err != nil {
		f.fail("", "config.json: %v", err)
		return
	}
	if cfg.ModelType != nil {
		a.ModelType = *cfg.ModelType
	}
	if cfg.TextLen != nil {
		a.TextLen = *cfg.TextLen
		if a.TextLen <= 0 {
			f.fail("", "config.json: text_len %d must be positive", a.TextLen)
		}
	}
	if cfg.NumHeads != nil {
		a.NumHeads = *cfg.NumHeads
		if a.NumHeads <= 0 {
			f.fail("", "config.json: num_heads %d must be positive", a.NumHeads)
		}
	}
	if cfg.WindowSize != nil {
		a.WindowSize = cfg.WindowSize
	}
	if cfg.Eps != nil {
		a.Eps = *cfg.Eps
	}

	// Fields the weights determine: config.json may only agree.
	checks := []struct {
		key      string
		cfg      *int
		inferred int
		from     string // the tensor the value was read from, named in errors
	}{
		{"in_dim", cfg.InDim, a.InDim, "patch_embedding.weight"},
		{"dim", cfg.Dim, a.Dim, "patch_embedding.bias"},
		{"ffn_dim", cfg.FFNDim, a.FFNDim, "blocks.0.ffn.0.weight"},
		{"freq_dim", cfg.FreqDim, a.FreqDim, "time_embedding.0.weight"},
		{"text_dim", cfg.TextDim, a.TextDim, "text_embedding.0.weight"},
		{"out_dim", cfg.OutDim, a.OutDim, "head.head.weight"},
		{"num_layers", cfg.NumLayers, a.NumLayers, ""},
	}
	for _, c := range checks {
		if c.cfg != nil && c.inferred != 0 && *c.cfg != c.inferred {
			f.fail(c.from, "config.json has %s %d but the weights have %d", c.key, *c.cfg, c.inferred)
		}
	}
	// config.json bounds the layer count too: never believe more blocks
	// than both it and the weights say.
	if cfg.NumLayers != nil && *cfg.NumLayers >= 0 && *cfg.NumLayers < a.NumLayers {
		a.NumLayers = *cfg.NumLayers
	}
	if cfg.PatchSize != nil && a.PatchSize != nil && !slices.Equal(cfg.PatchSize, a.PatchSize) {
		f.fail("patch_embedding.weight", "config.json has patch_size %v but the weights have %v", cfg.PatchSize, a.PatchSize)
	}
	flags := []struct {
		key      string
		cfg      *bool
		inferred bool
	}{
		{"qk_norm", cfg.QKNorm, a.QKNorm},
		{"cross_attn_norm", cfg.CrossAttnNorm, a.CrossAttnNorm},
	}
	for _, c := range flags {
		if c.cfg != nil && *c.cfg != c.inferred {
			f.fail("", "config.json has %s %v but the weights %s", c.key, *c.cfg, presence(c.inferred))
		}
	}
}

func presence(present bool) string {
	if present {
		return "have its norm tensors"
	}
	return "have no norm tensors"
}
