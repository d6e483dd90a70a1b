package mapping

import (
	"fmt"
	"math"
	"slices"

	"github.com/wanconv/wanconv/tensor"
)

// vae21ImageChannels is the Wan2.1 VAE's pixel channel count (no patchify).
const vae21ImageChannels = 3

// vae21HalvedLevels are the decoder levels whose first residual block takes
// half the previous level's width (the upsampling Conv2d halves the
// channels): upstream's Decoder3d hard-codes "i == 1 or i == 2 or i == 3".
var vae21HalvedLevels = map[int]bool{1: true, 2: true, 3: true}

// VAE21Arch is the WanVAE_ configuration of wan/modules/vae2_1.py (the
// Wan2.1 VAE the A14B releases ship). The decoder is built from the same
// fields: widths Dim·[DimMult[last], reversed DimMult...], temporal
// upsampling the reverse of TemperalDownsample.
type VAE21Arch struct {
	Dim          int   `json:"dim"` // base width (encoder.conv1 out channels)
	ZDim         int   `json:"z_dim"`
	DimMult      []int `json:"dim_mult"`
	NumResBlocks int   `json:"num_res_blocks"`
	// AttnScales lists the scales (1 at full resolution, halved per
	// downsampling level) whose residual blocks are each followed by an
	// AttentionBlock; upstream's releases have none ([]).
	AttnScales []float64 `json:"attn_scales"`
	// TemperalDownsample[i]: encoder level i's downsample also halves time
	// (downsample3d, with a time_conv). Upstream spelling.
	TemperalDownsample []bool `json:"temperal_downsample"`
}

// Component implements Arch.
func (a *VAE21Arch) Component() Component { return ComponentVAE }

func (a *VAE21Arch) family() string { return familyVAE21 }

// Clone returns a deep copy of a.
func (a *VAE21Arch) Clone() *VAE21Arch {
	c := *a
	c.DimMult = slices.Clone(a.DimMult)
	c.AttnScales = slices.Clone(a.AttnScales)
	c.TemperalDownsample = slices.Clone(a.TemperalDownsample)
	return &c
}

// TemperalUpsample is the decoder's temporal flags, the reverse of
// TemperalDownsample as upstream builds them.
func (a *VAE21Arch) TemperalUpsample() []bool {
	up := slices.Clone(a.TemperalDownsample)
	slices.Reverse(up)
	return up
}

// EncoderDims are the encoder widths: Dim·[1, DimMult...].
func (a *VAE21Arch) EncoderDims() []int {
	dims := []int{a.Dim}
	for _, m := range a.DimMult {
		dims = append(dims, a.Dim*m)
	}
	return dims
}

// DecoderDims are the decoder level widths, Dim·[DimMult[last], reversed
// DimMult...] (nil when DimMult is empty). Level i > 0 takes DecoderIn(i)
// channels, not DecoderDims()[i].
func (a *VAE21Arch) DecoderDims() []int {
	n := len(a.DimMult)
	if n == 0 {
		return nil
	}
	dims := []int{a.Dim * a.DimMult[n-1]}
	for i := n - 1; i >= 0; i-- {
		dims = append(dims, a.Dim*a.DimMult[i])
	}
	return dims
}

// DecoderIn is the channel count decoder level i's first residual block
// takes: the level's input width, halved for levels 1 to 3.
func (a *VAE21Arch) DecoderIn(i int) int {
	in := a.DecoderDims()[i]
	if vae21HalvedLevels[i] {
		in /= 2
	}
	return in
}

// HasAttn reports whether scale is one of AttnScales.
func (a *VAE21Arch) HasAttn(scale float64) bool { return slices.Contains(a.AttnScales, scale) }

// EncoderScale is encoder level i's scale, 1/2^i.
func EncoderScale(i int) float64 { return math.Ldexp(1, -i) }

// DecoderScale is decoder level i's scale among n levels, 2^i / 2^(n-2).
func DecoderScale(i, n int) float64 { return math.Ldexp(1, i-(n-2)) }

// VAEStride is the (time, height, width) pixels one latent covers: 2 per
// temporal downsample, 2 per spatial downsample.
func (a *VAE21Arch) VAEStride() []int {
	t := 1
	for _, d := range a.TemperalDownsample {
		if d {
			t *= 2
		}
	}
	s := 1
	for i := 1; i < len(a.DimMult); i++ {
		s *= 2
	}
	return []int{t, s, s}
}

// RequiredTorch implements Arch.
func (a *VAE21Arch) RequiredTorch() []tensor.Info {
	n := len(a.DimMult)
	if n == 0 {
		return nil
	}
	var r reqList

	enc := a.EncoderDims()
	r.conv3("encoder.conv1", enc[0], vae21ImageChannels, 3, 3, 3)
	k := 0
	item := func(p string) string { k++; return fmt.Sprintf("%s.%d", p, k-1) }
	for i := 0; i < n; i++ {
		in, out := enc[i], enc[i+1]
		for j := 0; j < a.NumResBlocks; j++ {
			r.vaeResidual(item("encoder.downsamples"), in, out)
			if a.HasAttn(EncoderScale(i)) {
				r.vaeAttention(item("encoder.downsamples"), out)
			}
			in = out
		}
		if i != n-1 {
			p := item("encoder.downsamples")
			r.conv2(p+".resample.1", out, out)
			if flagAt(a.TemperalDownsample, i) {
				r.conv3(p+".time_conv", out, out, 3, 1, 1)
			}
		}
	}
	r.vaeMiddle("encoder", enc[n])
	r.vaeHead("encoder", enc[n], 2*a.ZDim)

	r.conv3("conv1", 2*a.ZDim, 2*a.ZDim, 1, 1, 1)
	r.conv3("conv2", a.ZDim, a.ZDim, 1, 1, 1)

	dec, up := a.DecoderDims(), a.TemperalUpsample()
	r.conv3("decoder.conv1", dec[0], a.ZDim, 3, 3, 3)
	r.vaeMiddle("decoder", dec[0])
	k = 0
	for i := 0; i < n; i++ {
		in, out := a.DecoderIn(i), dec[i+1]
		for j := 0; j <= a.NumResBlocks; j++ {
			r.vaeResidual(item("decoder.upsamples"), in, out)
			if a.HasAttn(DecoderScale(i, n)) {
				r.vaeAttention(item("decoder.upsamples"), out)
			}
			in = out
		}
		if i != n-1 {
			p := item("decoder.upsamples")
			r.conv2(p+".resample.1", out/2, out)
			if flagAt(up, i) {
				r.conv3(p+".time_conv", 2*out, out, 3, 1, 1)
			}
		}
	}
	r.vaeHead("decoder", dec[n], vae21ImageChannels)
	return r.sorted()
}

// RequiredMLX implements Arch.
func (a *VAE21Arch) RequiredMLX() []tensor.Info { return RequiredLayout(LayoutWanconv, a) }

// Validate checks that a is a complete Wan2.1 WanVAE_ architecture:
// positive widths, a non-empty positive dim_mult of at most four levels
// (upstream's decoder halves the inputs of levels 1 to 3 only, so a fifth
// level would not take what the fourth gives), at least one residual block
// per level, one temporal flag per downsampling level and positive finite
// attention scales. The error is a *PlanError listing every problem.
func (a *VAE21Arch) Validate() error {
	f := &inferer{}
	f.positive(sized{"dim", a.Dim}, sized{"z_dim", a.ZDim})
	n := len(a.DimMult)
	switch {
	case n == 0:
		f.fail("", "dim_mult is empty")
	case n > 1+len(vae21HalvedLevels):
		f.fail("", "dim_mult %v has %d levels: upstream's Wan2.1 decoder supports at most %d", a.DimMult, n, 1+len(vae21HalvedLevels))
	}
	for i, m := range a.DimMult {
		if m <= 0 {
			f.fail("", "dim_mult[%d] %d must be positive", i, m)
		}
	}
	if a.NumResBlocks < 1 {
		f.fail("", "num_res_blocks %d must be at least 1", a.NumResBlocks)
	}
	if n > 0 && len(a.TemperalDownsample) != n-1 {
		f.fail("", "temperal_downsample has %d flags, want %d (one per downsampling level)", len(a.TemperalDownsample), n-1)
	}
	for _, s := range a.AttnScales {
		if !(s > 0) || math.IsInf(s, 0) {
			f.fail("", "attn_scales %v must hold positive numbers", a.AttnScales)
			break
		}
	}
	return f.err(ComponentVAE)
}
