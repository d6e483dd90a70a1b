package vae

import (
	"errors"
	"fmt"

	"github.com/wanconv/wanconv/mapping"
)

// PatchSize is the spatial patchify factor applied before the encoder (and
// undone after the decoder): 3 RGB channels become 3·2·2 = 12.
const PatchSize = 2

// videoChannels is the number of colour channels of a video.
const videoChannels = 3

// patchChannels is the channel count after patchify.
const patchChannels = videoChannels * PatchSize * PatchSize

// resolveArch returns the model's own copy of a, validated by mapping. The
// latent width must be that of Wan2.2's latent normalisation constants (48).
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

// spatialFactor is the ratio between video and latent height (or width).
func spatialFactor(a *mapping.VAEArch) int { return PatchSize << (len(a.DimMult) - 1) }

// temporalFactor is the number of video frames per latent frame after the
// first one.
func temporalFactor(a *mapping.VAEArch) int {
	f := 1
	for _, t := range a.TemperalDownsample {
		if t {
			f *= 2
		}
	}
	return f
}

// latentFrames is the number of latent frames Encode produces for a video
// of the given length: upstream encodes the first frame and then complete
// groups of temporalFactor frames, ignoring a trailing partial group.
func latentFrames(a *mapping.VAEArch, videoFrames int) int {
	if videoFrames < 1 {
		return 0
	}
	return 1 + (videoFrames-1)/temporalFactor(a)
}

// videoFrames is the number of frames Decode produces for a latent of the
// given length.
func videoFrames(a *mapping.VAEArch, latentFrames int) int {
	if latentFrames < 1 {
		return 0
	}
	return 1 + (latentFrames-1)*temporalFactor(a)
}
