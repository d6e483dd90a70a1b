package vae

import (
	"errors"
	"fmt"

	"github.com/wanconv/wanconv/mapping"
)

// PatchSize is the Wan2.2 VAE's spatial patchify factor, applied before the
// encoder (and undone after the decoder): 3 RGB channels become 3·2·2 = 12.
// The Wan2.1 VAE has none (a factor of 1).
const PatchSize = 2

// videoChannels is the number of colour channels of a video.
const videoChannels = 3

// patchChannels is the channel count after the Wan2.2 patchify.
const patchChannels = videoChannels * PatchSize * PatchSize

// version is what the video and latent handling needs of a VAE version.
type version struct {
	name      string // "Wan2.2", "Wan2.1"
	patch     int    // spatial patchify factor
	mean, std []float32
}

var (
	wan22 = version{name: "Wan2.2", patch: PatchSize, mean: latentMean[:], std: latentStd[:]}
	wan21 = version{name: "Wan2.1", patch: 1, mean: latentMean21[:], std: latentStd21[:]}
)

// versionOf returns the version of a, its z_dim, its number of levels and
// its temporal downsampling flags.
func versionOf(a mapping.Arch) (v version, zDim, levels int, temporal []bool) {
	switch a := a.(type) {
	case *mapping.VAEArch:
		return wan22, a.ZDim, len(a.DimMult), a.TemperalDownsample
	case *mapping.VAE21Arch:
		return wan21, a.ZDim, len(a.DimMult), a.TemperalDownsample
	}
	return version{}, 0, 0, nil
}

// resolveArch returns the model's own copy of a Wan2.2 architecture,
// validated by mapping. The latent width must be that of Wan2.2's latent
// normalisation constants (48).
func resolveArch(a *mapping.VAEArch) (*mapping.VAEArch, error) {
	if a == nil {
		return nil, errors.New("vae: no architecture")
	}
	if err := a.Validate(); err != nil {
		return nil, err // a *mapping.PlanError, which names the component
	}
	if a.ZDim != len(latentMean) {
		return nil, fmt.Errorf("vae: z_dim %d does not match the %d latent normalisation constants of Wan2.2", a.ZDim, len(latentMean))
	}
	return a.Clone(), nil
}

// resolveArch21 returns the model's own copy of a Wan2.1 architecture,
// validated by mapping. The latent width must be that of Wan2.1's latent
// normalisation constants (16), and there must be no attention inside the
// levels: upstream's Encoder3d and Decoder3d hand the caches to every item
// of their level lists, which an AttentionBlock does not take, so upstream
// cannot run such a VAE and there is nothing to reproduce.
func resolveArch21(a *mapping.VAE21Arch) (*mapping.VAE21Arch, error) {
	if a == nil {
		return nil, errors.New("vae: no architecture")
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if a.ZDim != len(latentMean21) {
		return nil, fmt.Errorf("vae: z_dim %d does not match the %d latent normalisation constants of Wan2.1", a.ZDim, len(latentMean21))
	}
	if len(a.AttnScales) > 0 {
		return nil, fmt.Errorf("vae: attn_scales %v: upstream's Wan2.1 VAE cannot run attention inside its levels "+
			"(Encoder3d/Decoder3d pass the caches to every level item, AttentionBlock takes none)", a.AttnScales)
	}
	return a.Clone(), nil
}

// resolveAny dispatches to resolveArch or resolveArch21.
func resolveAny(a mapping.Arch) (mapping.Arch, error) {
	switch a := a.(type) {
	case *mapping.VAEArch:
		return resolveArch(a)
	case *mapping.VAE21Arch:
		return resolveArch21(a)
	case nil:
		return nil, errors.New("vae: no architecture")
	}
	return nil, fmt.Errorf("vae: a %T is not a VAE architecture", a)
}

// spatialFactor is the ratio between video and latent height (or width).
func spatialFactor(a mapping.Arch) int {
	v, _, levels, _ := versionOf(a)
	return v.patch << (levels - 1)
}

// temporalFactor is the number of video frames per latent frame after the
// first one.
func temporalFactor(a mapping.Arch) int {
	_, _, _, temporal := versionOf(a)
	f := 1
	for _, t := range temporal {
		if t {
			f *= 2
		}
	}
	return f
}

// latentFrames is the number of latent frames Encode produces for a video
// of the given length: upstream encodes the first frame and then complete
// groups of temporalFactor frames, ignoring a trailing partial group.
func latentFrames(a mapping.Arch, videoFrames int) int {
	if videoFrames < 1 {
		return 0
	}
	return 1 + (videoFrames-1)/temporalFactor(a)
}

// videoFrames is the number of frames Decode produces for a latent of the
// given length.
func videoFrames(a mapping.Arch, latentFrames int) int {
	if latentFrames < 1 {
		return 0
	}
	return 1 + (latentFrames-1)*temporalFactor(a)
}
