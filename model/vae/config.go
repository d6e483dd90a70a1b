package vae

import (
	"fmt"
	"strings"
)

// PatchSize is the spatial patchify factor applied before the encoder (and
// undone after the decoder): 3 RGB channels become 3·2·2 = 12.
const PatchSize = 2

// videoChannels is the number of colour channels of a video.
const videoChannels = 3

// patchChannels is the channel count after patchify.
const patchChannels = videoChannels * PatchSize * PatchSize

// Config describes a Wan2.2 VAE. JSON names follow upstream's constructor
// arguments (including its spelling "temperal_downsample").
type Config struct {
	// Dim is the encoder base width (160 for the release).
	Dim int `json:"dim"`
	// DecDim is the decoder base width (256 for the release).
	DecDim int `json:"dec_dim"`
	// ZDim is the number of latent channels (48).
	ZDim int `json:"z_dim"`
	// DimMult multiplies the base width per resolution level ([1,2,4,4]).
	DimMult []int `json:"dim_mult"`
	// NumResBlocks is the number of residual blocks per encoder level; the
	// decoder uses one more per level, as upstream does.
	NumResBlocks int `json:"num_res_blocks"`
	// TemporalDownsample tells, for each encoder level that downsamples
	// (len(DimMult)-1 of them), whether it also halves time. The decoder
	// upsamples time at the mirrored levels.
	TemporalDownsample []bool `json:"temperal_downsample"`
}

// SpatialFactor is the ratio between video and latent height (or width).
func (c Config) SpatialFactor() int { return PatchSize << (len(c.DimMult) - 1) }

// TemporalFactor is the number of video frames per latent frame after the
// first one.
func (c Config) TemporalFactor() int {
	f := 1
	for _, t := range c.TemporalDownsample {
		if t {
			f *= 2
		}
	}
	return f
}

// temporalUpsample is the decoder's per-level flag list (upstream reverses
// the encoder's list).
func (c Config) temporalUpsample() []bool {
	up := make([]bool, len(c.TemporalDownsample))
	for i, t := range c.TemporalDownsample {
		up[len(up)-1-i] = t
	}
	return up
}

// encoderDims are the encoder widths: the stem and then each level's output.
func (c Config) encoderDims() []int {
	dims := []int{c.Dim}
	for _, m := range c.DimMult {
		dims = append(dims, c.Dim*m)
	}
	return dims
}

// decoderDims are the decoder widths: the stem (deepest width) and then each
// level's output, from coarse to fine.
func (c Config) decoderDims() []int {
	last := c.DimMult[len(c.DimMult)-1]
	dims := []int{c.DecDim * last}
	for i := len(c.DimMult) - 1; i >= 0; i-- {
		dims = append(dims, c.DecDim*c.DimMult[i])
	}
	return dims
}

// Validate checks the configuration for consistency.
func (c Config) Validate() error {
	var errs []string
	if c.Dim <= 0 || c.DecDim <= 0 || c.ZDim <= 0 {
		errs = append(errs, fmt.Sprintf("widths must be positive (dim %d, dec_dim %d, z_dim %d)", c.Dim, c.DecDim, c.ZDim))
	}
	if len(c.DimMult) < 1 {
		errs = append(errs, "dim_mult is empty")
	}
	for i, m := range c.DimMult {
		if m <= 0 {
			errs = append(errs, fmt.Sprintf("dim_mult[%d] = %d must be positive", i, m))
		}
	}
	if c.NumResBlocks < 1 {
		errs = append(errs, fmt.Sprintf("num_res_blocks = %d must be at least 1", c.NumResBlocks))
	}
	if len(c.DimMult) > 0 && len(c.TemporalDownsample) != len(c.DimMult)-1 {
		errs = append(errs, fmt.Sprintf("temperal_downsample has %d flags, want %d (one per downsampling level)",
			len(c.TemporalDownsample), len(c.DimMult)-1))
	}
	if len(errs) == 0 {
		errs = append(errs, c.checkShortcutFactors()...)
	}
	if len(errs) > 0 {
		return fmt.Errorf("vae config: %s", strings.Join(errs, "; "))
	}
	return nil
}

// checkShortcutFactors verifies the channel arithmetic of the averaging and
// duplicating shortcuts of the down/up residual blocks.
func (c Config) checkShortcutFactors() []string {
	var errs []string
	enc, dec := c.encoderDims(), c.decoderDims()
	up := c.temporalUpsample()
	for i := 0; i < len(c.DimMult); i++ {
		down := i != len(c.DimMult)-1
		ft := 1
		if down && c.TemporalDownsample[i] {
			ft = 2
		}
		fs := 1
		if down {
			fs = 2
		}
		if (enc[i]*ft*fs*fs)%enc[i+1] != 0 {
			errs = append(errs, fmt.Sprintf("encoder level %d: %d·%d channels do not group into %d", i, enc[i], ft*fs*fs, enc[i+1]))
		}
		if down {
			ftu := 1
			if up[i] {
				ftu = 2
			}
			if (dec[i+1]*ftu*4)%dec[i] != 0 {
				errs = append(errs, fmt.Sprintf("decoder level %d: %d·%d channels are not a multiple of %d", i, dec[i+1], ftu*4, dec[i]))
			}
		}
	}
	return errs
}

// LatentFrames is the number of latent frames Encode produces for a video
// of the given length: upstream encodes the first frame and then complete
// groups of TemporalFactor frames, ignoring a trailing partial group.
func (c Config) LatentFrames(videoFrames int) int {
	if videoFrames < 1 {
		return 0
	}
	return 1 + (videoFrames-1)/c.TemporalFactor()
}

// VideoFrames is the number of frames Decode produces for a latent of the
// given length.
func (c Config) VideoFrames(latentFrames int) int {
	if latentFrames < 1 {
		return 0
	}
	return 1 + (latentFrames-1)*c.TemporalFactor()
}
