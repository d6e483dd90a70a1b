package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/wanconv/wanconv/tensor"
)

// FuzzPlan feeds arbitrary names and shapes (one "name dims..." per line,
// dims as bytes of the second argument) and a config to every entry point:
// none may panic, and every failure must be a *PlanError.
func FuzzPlan(f *testing.F) {
	f.Add("patch_embedding.weight\nblocks.0.modulation\nhead.head.weight", []byte{8, 4, 1, 2, 2, 1, 6, 8, 16, 8}, `{"num_heads": 2}`)
	f.Add("encoder.conv1.weight\nencoder.downsamples.0.downsamples.0.residual.0.gamma\ndecoder.conv1.weight",
		[]byte{16, 12, 3, 3, 3, 16, 1, 1, 1, 32, 4, 3, 3, 3}, "")
	f.Add("token_embedding.weight\nblocks.0.pos_embedding.embedding.weight\nblocks.0.attn.q.weight", []byte{10, 8, 4, 2, 8, 8}, "")
	f.Add("decoder.middle.layers.1.norm.gamma\nblocks.0.ffn.layers.0.weight", []byte{0, 3, 1}, `{"patch_size": [0]}`)
	f.Add("patch_embedding_proj.weight\ntime_projection.weight\nblocks.0.ffn.fc1.weight\ntime_projection.1.weight",
		[]byte{8, 16, 48, 8, 16, 8, 1, 1}, `{"patch_size": [1, 2, 2], "dual_model": false, "vae_z_dim": 48}`)
	f.Add("decoder.head.layer_0.gamma\nencoder.middle.1.to_qkv_weight\ndecoder.upsamples.0.upsamples.3.resample_bias",
		[]byte{12, 9, 3, 1, 1, 3}, `{"patch_size": [2, 2, 2], "sample_guide_scale": [1, 2]}`)
	f.Add("blocks.0.ffn.gate_proj.weight\nblocks.0.ffn.gate.0.weight", []byte{4, 8, 4, 8}, `{"dim": 1, "dim": 2}`)
	f.Fuzz(func(t *testing.T, names string, dims []byte, config string) {
		var src []tensor.Info
		for i, n := range strings.Split(names, "\n") {
			var shape []int64
			rank := i%5 + 1
			for j := 0; j < rank && len(dims) > 0; j++ {
				shape = append(shape, int64(dims[0]))
				dims = dims[1:]
			}
			src = append(src, tensor.Info{Name: n, DType: tensor.F32, Shape: shape})
		}
		var cfg []byte
		if config != "" {
			cfg = []byte(config)
		}
		archs := MLXVideoWeights{Experts: len(src) % 3}
		for _, l := range Layouts {
			for _, c := range Components {
				plan, err := PlanLayout(l, c, src, cfg)
				mustBePlanError(t, err)
				if err == nil {
					roundTrip(t, l, c, plan, cfg)
				}
				arch, err := CheckConvertedLayout(l, c, src, cfg)
				mustBePlanError(t, err)
				if err == nil {
					mustBePlanError(t, CheckRequiredLayout(l, arch, src))
					setArch(&archs, arch)
				}
				_, err = ToPyTorchLayout(l, c, src, cfg)
				mustBePlanError(t, err)
				for _, s := range src {
					back := SourceNameLayout(l, c, TargetNameLayout(l, c, s.Name))
					if _, p := compiledLayouts[l][c].classify(s.Name); p == nil && back != s.Name {
						t.Fatalf("%s %s: %s renames back to %s", l, c, s.Name, back)
					}
				}
			}
		}
		names2 := make([]string, len(src))
		for i, s := range src {
			names2[i] = s.Name
		}
		_, _, _ = Detect(names2)
		_, _, _ = DetectLayout(names2)
		_ = CheckMLXVideoConfig(cfg, archs)
		_ = MLXVideoRuntimeNotes(archs)
		if _, err := ParseMLXVideoConfig(cfg); err != nil {
			var cp *ConfigProblem
			if !errors.As(err, &cp) {
				t.Fatalf("config error %T is not a *ConfigProblem: %v", err, err)
			}
		}
	})
}

// roundTrip reads a successful plan's targets back: the same architecture
// (unless a flattened patch embedding is read back with another patch size
// than it had: without patch_size in config.json that is undecidable).
func roundTrip(t *testing.T, l Layout, c Component, plan *Plan, cfg []byte) {
	if d, ok := plan.Arch.(*DiTArch); ok && l == LayoutMLXVideo && !reflect.DeepEqual(d.PatchSize, patchSizeHint(cfg)) {
		return
	}
	var conv []tensor.Info
	for _, e := range plan.Entries {
		conv = append(conv, tensor.Info{Name: e.Target, DType: tensor.F32, Shape: e.OutShape})
	}
	arch, err := CheckConvertedLayout(l, c, conv, cfg)
	if err != nil {
		t.Fatalf("%s %s: a planned checkpoint does not check: %v", l, c, err)
	}
	if !reflect.DeepEqual(arch, plan.Arch) {
		t.Fatalf("%s %s: read back as %+v, planned %+v", l, c, arch, plan.Arch)
	}
}

func setArch(w *MLXVideoWeights, a Arch) {
	switch a := a.(type) {
	case *DiTArch:
		w.DiT = a
	case *T5Arch:
		w.T5 = a
	case *VAEArch:
		w.VAE = a
	}
}

func mustBePlanError(t *testing.T, err error) {
	var pe *PlanError
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("error %T is not a *PlanError: %v", err, err)
	}
}
