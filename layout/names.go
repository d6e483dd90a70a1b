// Package layout is the one authority on where things live: the file names
// of an upstream Wan2.2 release directory and of a converted directory, the
// discovery of which components a directory holds, and the reading of the
// DiT's shard index (through format/safetensors' strict parser). The
// converter, inspect, the verifier and the models ask this package for
// paths and tensor sources; no other package spells a file name.
package layout

import (
	"fmt"
	"path"

	"github.com/wanconv/wanconv/mapping"
)

// Files of an upstream Wan2.2 release directory.
const (
	ReleaseConfig        = "config.json"        // the DiT's diffusers config
	ReleaseConfiguration = "configuration.json" // the release's framework note
	ReleaseDiTIndex      = "diffusion_pytorch_model.safetensors.index.json"
	ReleaseDiTSingle     = "diffusion_pytorch_model.safetensors"
	ReleaseT5            = "models_t5_umt5-xxl-enc-bf16.pth"
	ReleaseVAE           = "Wan2.2_VAE.pth"  // TI2V-5B's Wan2.2 VAE (z_dim 48)
	ReleaseVAE21         = "Wan2.1_VAE.pth"  // the A14B releases' Wan2.1 VAE (z_dim 16)
	Tokenizer            = "google/umt5-xxl" // a folder, copied verbatim
)

// Expert names one of the two DiTs of an A14B release: the folder of a
// release or of a wanconv-layout directory, the file stem in the mlx-video
// layout. The single DiT of TI2V-5B has no expert ("").
type Expert string

// The experts of an A14B release, in the order they run (the high-noise
// expert while t >= boundary·1000).
const (
	ExpertHigh Expert = "high_noise_model"
	ExpertLow  Expert = "low_noise_model"
)

// Experts lists the A14B experts, high noise first.
var Experts = []Expert{ExpertHigh, ExpertLow}

// ParseExpert accepts "high_noise_model" or "low_noise_model".
func ParseExpert(s string) (Expert, error) {
	for _, e := range Experts {
		if string(e) == s {
			return e, nil
		}
	}
	return "", fmt.Errorf("unknown expert %q (want high_noise_model or low_noise_model)", s)
}

// ReleaseExpertCandidates lists the files of a release that may hold an
// expert's DiT (index first), relative to the release directory.
func ReleaseExpertCandidates(e Expert) []string {
	return []string{path.Join(string(e), ReleaseDiTIndex), path.Join(string(e), ReleaseDiTSingle)}
}

// ReleaseExpertConfig is an expert's diffusers config.json in a release.
func ReleaseExpertConfig(e Expert) string { return path.Join(string(e), ReleaseConfig) }

// Files wanconv writes into every converted directory, whatever the layout.
const (
	Manifest = "wanconv-manifest.json"
	Config   = "config.json"
)

// OutputMetadata is the safetensors metadata of every converted file.
func OutputMetadata() map[string]string { return map[string]string{"format": "mlx"} }

// Converted names the files of one converted-directory layout.
type Converted struct {
	// Name identifies the layout (its tensor names are mapping's rules of
	// the same name).
	Name mapping.Layout
	// DiTBase is the DiT file's stem: DiTBase+".safetensors" for one file,
	// DiTBase+"-0000K-of-0000N.safetensors" for shards.
	DiTBase string
	// DiTIndexed is true when the DiT always gets an index file.
	DiTIndexed bool
	// Unsharded layouts keep the DiT in one file whatever its size.
	Unsharded bool
	// T5 and VAE are the single files of those components.
	T5, VAE string
	// ExpertFolders: an A14B expert's DiT files and config.json live in a
	// folder named after the expert (wanconv); otherwise the expert's DiT is
	// one file named after it beside a single top-level config.json
	// (mlx-video).
	ExpertFolders bool
}

// Wanconv is the layout this project's users asked for: a sharded DiT with
// an index, t5_encoder_mlx and vae_mlx.
var Wanconv = Converted{
	Name: mapping.LayoutWanconv, DiTBase: "wan_model_mlx", DiTIndexed: true,
	T5: "t5_encoder_mlx.safetensors", VAE: "vae_mlx.safetensors", ExpertFolders: true,
}

// MLXVideo is the layout Blaizzy/mlx-video's Wan2.2 runtime loads (and
// SceneWorks/mlx-gen writes): one file per component, no index, and a
// config.json that is mlx-video's complete WanModelConfig.
var MLXVideo = Converted{
	Name: mapping.LayoutMLXVideo, DiTBase: "model", Unsharded: true,
	T5: "t5_encoder.safetensors", VAE: "vae.safetensors",
}

// Layouts lists every converted layout, the default first.
var Layouts = []Converted{Wanconv, MLXVideo}

// ForExpert returns the layout's DiT names for one expert of an A14B
// release (slash-separated, relative to the converted directory):
// "high_noise_model/wan_model_mlx…" (wanconv) or "high_noise_model.safetensors"
// (mlx-video). The T5 and VAE names are unchanged; e == "" returns l.
func (l Converted) ForExpert(e Expert) Converted {
	if e == "" {
		return l
	}
	if l.ExpertFolders {
		l.DiTBase = path.Join(string(e), l.DiTBase)
	} else {
		l.DiTBase = string(e)
	}
	return l
}

// ExpertConfig is the config.json of an expert (relative, slash-separated):
// in its folder for wanconv, the shared top-level one for mlx-video.
func (l Converted) ExpertConfig(e Expert) string {
	if e != "" && l.ExpertFolders {
		return path.Join(string(e), Config)
	}
	return Config
}

// DiTSingle is the DiT's file name when it is not sharded.
func (l Converted) DiTSingle() string { return l.DiTBase + ".safetensors" }

// DiTIndex is the DiT's index file name.
func (l Converted) DiTIndex() string { return l.DiTSingle() + ".index.json" }

// DiTShard names shard k (from 1) of n.
func (l Converted) DiTShard(k, n int) string {
	if n == 1 {
		return l.DiTSingle()
	}
	return fmt.Sprintf("%s-%05d-of-%05d.safetensors", l.DiTBase, k, n)
}

// Candidates lists the files that may hold a component, in the order
// discovery tries them (an index before a single file).
func (l Converted) Candidates(c mapping.Component) []string {
	switch c {
	case mapping.ComponentDiT:
		if l.DiTIndexed {
			return []string{l.DiTIndex(), l.DiTSingle()}
		}
		return []string{l.DiTSingle()}
	case mapping.ComponentT5:
		return []string{l.T5}
	case mapping.ComponentVAE:
		return []string{l.VAE}
	}
	return nil
}

// ReleaseCandidates lists the files of a release that may hold a component.
func ReleaseCandidates(c mapping.Component) []string {
	switch c {
	case mapping.ComponentDiT:
		return []string{ReleaseDiTIndex, ReleaseDiTSingle}
	case mapping.ComponentT5:
		return []string{ReleaseT5}
	case mapping.ComponentVAE:
		return []string{ReleaseVAE}
	}
	return nil
}

// LayoutByName finds a converted layout.
func LayoutByName(name string) (Converted, error) {
	for _, l := range Layouts {
		if string(l.Name) == name {
			return l, nil
		}
	}
	return Converted{}, fmt.Errorf("unknown layout %q (want wanconv or mlx-video)", name)
}

// IsDiTFile reports whether name is one of the DiT files this layout writes:
// the single file or a "-0000K-of-0000N" shard.
func (l Converted) IsDiTFile(name string) bool {
	if name == l.DiTSingle() {
		return true
	}
	var k, n int
	if _, err := fmt.Sscanf(name, l.DiTBase+"-%05d-of-%05d.safetensors", &k, &n); err != nil {
		return false
	}
	return k >= 1 && k <= n && name == l.DiTShard(k, n)
}

// ReleaseDiTShard names shard k (from 1) of n of a release's DiT.
func ReleaseDiTShard(k, n int) string {
	return fmt.Sprintf("diffusion_pytorch_model-%05d-of-%05d.safetensors", k, n)
}
