package convert

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// a14bOutputs is the file list of a converted tiny A14B release (each
// expert's DiT is below the 5 GB shard limit: one file).
var a14bOutputs = map[mapping.Layout][]string{
	mapping.LayoutWanconv: {
		"configuration.json", "google", "google/umt5-xxl", "google/umt5-xxl/special_tokens_map.json",
		"high_noise_model", "high_noise_model/config.json", "high_noise_model/wan_model_mlx.safetensors",
		"high_noise_model/wan_model_mlx.safetensors.index.json",
		"low_noise_model", "low_noise_model/config.json", "low_noise_model/wan_model_mlx.safetensors",
		"low_noise_model/wan_model_mlx.safetensors.index.json",
		"t5_encoder_mlx.safetensors", "vae_mlx.safetensors", "wanconv-manifest.json",
	},
	mapping.LayoutMLXVideo: {
		"config.json", "configuration.json", "google", "google/umt5-xxl", "google/umt5-xxl/special_tokens_map.json",
		"high_noise_model.safetensors", "low_noise_model.safetensors",
		"t5_encoder.safetensors", "vae.safetensors", "wanconv-manifest.json",
	},
}

// readA14BRelease returns every tensor of a tiny A14B release per part.
func readA14BRelease(t *testing.T, dir string) map[part]map[string]tensorData {
	t.Helper()
	out := map[part]map[string]tensorData{}
	for _, e := range layout.Experts {
		src, err := safetensors.OpenAuto(filepath.Join(dir, string(e), srcDiTIndex))
		require.NoError(t, err)
		out[part{mapping.ComponentDiT, e}] = readSource(t, src)
		require.NoError(t, src.Close())
	}
	for c, name := range map[mapping.Component]string{mapping.ComponentT5: srcT5, mapping.ComponentVAE: layout.ReleaseVAE21} {
		src, err := pth.Open(filepath.Join(dir, name))
		require.NoError(t, err)
		out[partOf(c)] = readSource(t, src)
		require.NoError(t, src.Close())
	}
	return out
}

// readA14BConverted returns every tensor of a converted A14B directory per
// part, each DiT found through package layout.
func readA14BConverted(t *testing.T, dir string, l layout.Converted) map[part]map[string]tensorData {
	t.Helper()
	out := map[part]map[string]tensorData{}
	d, err := layout.Discover(dir)
	require.NoError(t, err)
	dits := d.DiTs()
	require.Len(t, dits, 2)
	for i, e := range layout.Experts {
		require.Equal(t, e, dits[i].Expert)
		src, err := safetensors.OpenAuto(dits[i].Path)
		require.NoError(t, err)
		out[part{mapping.ComponentDiT, e}] = readSource(t, src)
		require.NoError(t, src.Close())
	}
	out[partOf(mapping.ComponentT5)] = readSafetensors(t, filepath.Join(dir, l.T5))
	out[partOf(mapping.ComponentVAE)] = readSafetensors(t, filepath.Join(dir, l.VAE))
	return out
}

// TestConvertA14B converts both tiny A14B releases in both layouts with
// --dtype keep: exactly the layout's files, one manifest, and every tensor
// of both experts, the T5 and the Wan2.1 VAE under its converted name with
// the source bytes (conv weights channels-last, gammas squeezed, mlx-video's
// patch embedding flattened in PyTorch order).
func TestConvertA14B(t *testing.T) {
	for _, k := range []golden.A14B{golden.T2VA14B, golden.I2VA14B} {
		src := readA14BRelease(t, golden.TinyA14BRelease(k))
		for _, l := range layout.Layouts {
			out := filepath.Join(t.TempDir(), "out")
			sum, err := Convert(context.Background(), Options{SrcDir: golden.TinyA14BRelease(k), OutDir: out, DType: "keep", Layout: string(l.Name)})
			require.NoError(t, err, "%s %s", k, l.Name)
			require.Equal(t, a14bOutputs[l.Name], treeFiles(t, out), "%s %s", k, l.Name)
			want := 0
			for _, ts := range src {
				want += len(ts)
			}
			require.Equal(t, want, sum.Tensors)

			got := readA14BConverted(t, out, l)
			for p, tensors := range src {
				require.Len(t, got[p], len(tensors), "%s %s %s", k, l.Name, p)
				var infos []tensor.Info
				for _, s := range tensors {
					infos = append(infos, s.info)
				}
				var cfg []byte
				if p.expert != "" {
					cfg, err = os.ReadFile(filepath.Join(golden.TinyA14BRelease(k), string(p.expert), "config.json"))
					require.NoError(t, err)
				}
				plan, err := mapping.PlanLayout(l.Name, p.component, infos, cfg)
				require.NoError(t, err, "%s %s", k, p)
				for _, e := range plan.Entries {
					s := tensors[e.Source.Name]
					o, ok := got[p][e.Target]
					require.True(t, ok, "%s %s %s: %s (from %s) missing", k, l.Name, p, e.Target, e.Source.Name)
					require.Equal(t, s.info.DType, o.info.DType, e.Target)
					require.Equal(t, e.OutShape, o.info.Shape, e.Target)
					if e.Transform == mapping.ConvToChannelsLast {
						require.Equal(t, refChannelsLast(s.data, s.info.Shape, s.info.DType.Size()), o.data, "%s %s %s", k, l.Name, e.Target)
					} else { // identity, a squeezed gamma, mlx-video's flattened patch: the same bytes
						require.Equal(t, s.data, o.data, "%s %s %s", k, l.Name, e.Target)
					}
				}
			}
			inDim := map[golden.A14B]int64{golden.T2VA14B: 16, golden.I2VA14B: 36}[k]
			pe := got[part{mapping.ComponentDiT, layout.ExpertLow}][mapping.TargetNameLayout(l.Name, mapping.ComponentDiT, "patch_embedding.weight")]
			require.Equal(t, inDim*4, pe.info.NumElements()/128, "%s patch embedding %v", k, pe.info.Shape)
			checkA14BManifest(t, out, k, l)
		}
	}
}

// checkA14BManifest: the one manifest names the release kind, each expert's
// files and both experts' architectures; mlx-video's config.json is its
// A14B preset.
func checkA14BManifest(t *testing.T, out string, k golden.A14B, l layout.Converted) {
	t.Helper()
	kind := map[golden.A14B]string{golden.T2VA14B: "t2v-A14B", golden.I2VA14B: "i2v-A14B"}[k]
	raw, err := os.ReadFile(filepath.Join(out, layout.Manifest))
	require.NoError(t, err)
	var m struct {
		Release       string                 `json:"release"`
		Layout        string                 `json:"layout"`
		Architectures map[string]any         `json:"architectures"`
		Files         []layout.ManifestEntry `json:"files"`
	}
	require.NoError(t, json.Unmarshal(raw, &m))
	require.Equal(t, kind, m.Release)
	require.Equal(t, string(l.Name), m.Layout)
	dits, ok := m.Architectures["dit"].(map[string]any)
	require.True(t, ok, "dit architectures per expert: %v", m.Architectures["dit"])
	for _, e := range layout.Experts {
		arch := dits[string(e)].(map[string]any)
		require.Equal(t, string(k), arch["model_type"])
		require.Equal(t, float64(map[golden.A14B]int{golden.T2VA14B: 16, golden.I2VA14B: 36}[k]), arch["in_dim"])
	}
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
		if f.Component == mapping.ComponentDiT {
			require.Contains(t, layout.Experts, f.Expert, f.Path)
			require.Contains(t, f.Path, string(f.Expert))
		} else {
			require.Empty(t, f.Expert, f.Path)
		}
	}
	var files []string
	for _, f := range a14bOutputs[l.Name] {
		if fi, err := os.Stat(filepath.Join(out, f)); err == nil && fi.Mode().IsRegular() && f != layout.Manifest {
			files = append(files, f)
		}
	}
	require.Equal(t, files, paths)
	if l.Name != mapping.LayoutMLXVideo {
		return
	}
	raw, err = os.ReadFile(filepath.Join(out, layout.Config))
	require.NoError(t, err)
	var cfg map[string]any
	require.NoError(t, json.Unmarshal(raw, &cfg))
	require.ElementsMatch(t, mapping.MLXVideoConfigFields(), slices.Collect(maps.Keys(cfg)))
	want := map[golden.A14B]map[string]any{
		golden.T2VA14B: {"model_type": "t2v", "in_dim": 16.0, "boundary": 0.875, "sample_shift": 12.0, "sample_guide_scale": []any{3.0, 4.0}, "max_area": 0.0},
		golden.I2VA14B: {"model_type": "i2v", "in_dim": 36.0, "boundary": 0.9, "sample_shift": 5.0, "sample_guide_scale": []any{3.5, 3.5}, "max_area": 901120.0},
	}[k]
	for key, v := range want {
		require.Equal(t, v, cfg[key], key)
	}
	for key, v := range map[string]any{"dual_model": true, "out_dim": 16.0, "vae_z_dim": 16.0, "vae_stride": []any{4.0, 8.0, 8.0},
		"dim": 128.0, "num_layers": 2.0, "num_heads": 4.0, "text_len": 24.0, "sample_steps": 40.0, "frame_num": 81.0, "sample_fps": 16.0} {
		require.Equal(t, v, cfg[key], key)
	}
}

// TestConvertA14BBadReleases: a release that is neither TI2V-5B nor an
// A14B one is refused with exit 2 naming the files, and nothing is written.
func TestConvertA14BBadReleases(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(r string)
		want []string
	}{
		"one expert": {func(r string) { require.NoError(t, os.RemoveAll(filepath.Join(r, "low_noise_model"))) },
			[]string{"expert low_noise_model is missing (none of low_noise_model/diffusion_pytorch_model.safetensors.index.json"}},
		"Wan2.2 VAE": {func(r string) {
			require.NoError(t, os.Rename(filepath.Join(r, layout.ReleaseVAE21), filepath.Join(r, layout.ReleaseVAE)))
		}, []string{"Wan2.2_VAE.pth is TI2V-5B's Wan2.2 VAE, but this release has the A14B experts"}},
		"no VAE": {func(r string) { require.NoError(t, os.Remove(filepath.Join(r, layout.ReleaseVAE21))) },
			[]string{"missing vae checkpoint", "Wan2.1_VAE.pth"}},
		"expert config": {func(r string) { require.NoError(t, os.Remove(filepath.Join(r, "high_noise_model", "config.json"))) },
			[]string{"missing", filepath.Join("high_noise_model", "config.json")}},
		"expert shard": {func(r string) {
			require.NoError(t, os.Remove(filepath.Join(r, "low_noise_model", layout.ReleaseDiTShard(2, 2))))
		}, []string{filepath.Join("low_noise_model", layout.ReleaseDiTShard(2, 2))}},
	} {
		r := copyTree(t, golden.TinyA14BRelease(golden.T2VA14B))
		c.edit(r)
		out := filepath.Join(t.TempDir(), "out")
		_, err := Convert(context.Background(), Options{SrcDir: r, OutDir: out, Quiet: true})
		requireInputError(t, err)
		for _, w := range c.want {
			require.ErrorContains(t, err, w, name)
		}
		require.Empty(t, treeFiles(t, out), name)
	}
	// The Wan2.1 VAE with a single-model release.
	r := copyTree(t, tinyDir)
	require.NoError(t, os.Rename(filepath.Join(r, layout.ReleaseVAE), filepath.Join(r, layout.ReleaseVAE21)))
	_, err := Convert(context.Background(), Options{SrcDir: r, OutDir: filepath.Join(t.TempDir(), "out"), Quiet: true})
	requireInputError(t, err)
	require.ErrorContains(t, err, "Wan2.1_VAE.pth is the Wan2.1 VAE of the A14B releases, but there are no high_noise_model/ and low_noise_model/ experts")
}

// TestForceReplacesA14B: a second conversion with --force replaces exactly
// the expert folders' files the manifest lists; a file of the user's in an
// expert folder stays.
func TestForceReplacesA14B(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	opt := Options{SrcDir: golden.TinyA14BRelease(golden.I2VA14B), OutDir: out, Quiet: true}
	_, err := Convert(context.Background(), opt)
	require.NoError(t, err)
	_, err = Convert(context.Background(), opt)
	requireInputError(t, err)
	require.ErrorContains(t, err, "already holds configuration.json, google/umt5-xxl, high_noise_model, low_noise_model")
	notes := filepath.Join(out, "high_noise_model", "notes.txt")
	require.NoError(t, os.WriteFile(notes, []byte("mine"), 0o644))
	opt.Force = true
	_, err = Convert(context.Background(), opt)
	require.NoError(t, err)
	require.Equal(t, append(slices.Clone(a14bOutputs[mapping.LayoutWanconv][:6]), append([]string{"high_noise_model/notes.txt"},
		a14bOutputs[mapping.LayoutWanconv][6:]...)...), treeFiles(t, out))
}
