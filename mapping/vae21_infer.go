package mapping

import (
	"fmt"
	"slices"

	"github.com/wanconv/wanconv/tensor"
)

// InferAnyVAE reads a Wan2.2 (*VAEArch) or a Wan2.1 (*VAE21Arch) VAE
// architecture off PyTorch-named tensors. The version is the one whose
// tensor tree the names follow (nested encoder.downsamples.N.downsamples.M
// for Wan2.2, flat encoder.downsamples.N for Wan2.1); a set neither claims
// more of is read as Wan2.2. Errors are *PlanError values listing every
// problem; the architecture is returned as far as it was inferred.
func InferAnyVAE(src []tensor.Info) (Arch, error) {
	rs, err := rulesForTorch(LayoutWanconv, ComponentVAE, src)
	if err == nil && rs.family == familyVAE21 {
		return InferVAE21(src)
	}
	return InferVAE(src)
}

// vae21Item is one child of a flat encoder.downsamples / decoder.upsamples
// Sequential.
type vae21Item int

const (
	vae21Unknown vae21Item = iota
	vae21Residual
	vae21Attention
	vae21Resample
)

// vae21Level is one resolution level of the flat list: its residual and
// attention blocks and the resample that ends it (all but the last level).
type vae21Level struct {
	first     int // index of the level's first item
	residuals int
	attns     int
	resample  bool
	temporal  bool // the resample has a time_conv
}

// InferVAE21 reads the Wan2.1 VAE architecture off the tensor shapes.
// Errors are *PlanError values listing every problem.
func InferVAE21(src []tensor.Info) (*VAE21Arch, error) {
	f := &inferer{inv: newInventory(src)}
	a := &VAE21Arch{AttnScales: []float64{}, TemperalDownsample: []bool{}}
	a.Dim = f.dim("dim", anchor{"encoder.conv1.weight", 5, 0}, anchor{"encoder.conv1.bias", 1, 0})
	z2 := f.dim("z_dim", anchor{"encoder.head.2.weight", 5, 0}, anchor{"encoder.head.2.bias", 1, 0},
		anchor{"conv1.weight", 5, 0}, anchor{"conv1.bias", 1, 0})
	a.ZDim = f.ratio("z_dim (encoder head channels / 2)", z2, 2)

	enc := f.vae21Levels("encoder.downsamples")
	dec := f.vae21Levels("decoder.upsamples")
	if len(enc) == 0 {
		f.fail("", "no encoder levels (encoder.downsamples.N.*) found")
	}
	n := len(enc)
	for i, l := range enc {
		if l.residuals == 0 {
			f.fail("", "encoder level %d (from encoder.downsamples.%d) has no residual block", i, l.first)
			continue
		}
		if i == 0 {
			a.NumResBlocks = l.residuals
		} else if l.residuals != a.NumResBlocks {
			f.fail("", "encoder level %d (from encoder.downsamples.%d) has %d residual blocks, level 0 has %d",
				i, l.first, l.residuals, a.NumResBlocks)
		}
		p := fmt.Sprintf("encoder.downsamples.%d.", l.first)
		out := f.dim(fmt.Sprintf("dim_mult[%d]", i), anchor{p + "residual.2|6.weight", 5, 0},
			anchor{p + "residual.2|6.bias", 1, 0}, anchor{p + "residual.3.gamma", 4, 0})
		a.DimMult = append(a.DimMult, f.ratio(fmt.Sprintf("dim_mult[%d]", i), out, a.Dim))
		if l.resample {
			a.TemperalDownsample = append(a.TemperalDownsample, l.temporal)
		}
		if l.attns > 0 {
			a.addScale(EncoderScale(i))
		}
	}
	for i, l := range dec {
		if l.attns > 0 {
			a.addScale(DecoderScale(i, n))
		}
	}
	if len(dec) > 0 && len(dec) != n {
		f.fail("", "the decoder has %d levels (decoder.upsamples.N split at its resamples), the encoder %d", len(dec), n)
	}
	slices.Sort(a.AttnScales)
	slices.Reverse(a.AttnScales)
	if err := f.err(ComponentVAE); err != nil {
		return a, err
	}
	return a, nil
}

func (a *VAE21Arch) addScale(s float64) {
	if !a.HasAttn(s) {
		a.AttnScales = append(a.AttnScales, s)
	}
}

// vae21Levels splits the flat list under prefix into levels at its
// resamples. A missing item or one of no known kind is reported.
func (f *inferer) vae21Levels(prefix string) []vae21Level {
	count := f.count(prefix, 1)
	var levels []vae21Level
	cur := vae21Level{}
	for j := 0; j < count; j++ {
		p := fmt.Sprintf("%s.%d.", prefix, j)
		kind := vae21Unknown
		switch {
		case f.inv.has(p + "residual.*.*"):
			kind = vae21Residual
		case f.inv.has(p + "resample.*.*"):
			kind = vae21Resample
		case f.inv.has(p+"norm.gamma") || f.inv.has(p+"to_qkv|proj.weight|bias"):
			kind = vae21Attention
		}
		switch kind {
		case vae21Residual:
			cur.residuals++
		case vae21Attention:
			cur.attns++
		case vae21Resample:
			cur.resample, cur.temporal = true, f.inv.has(p+"time_conv.weight|bias")
			levels = append(levels, cur)
			cur = vae21Level{first: j + 1}
		default:
			what := "has no residual, attention or resample tensors"
			if !f.inv.has(p+"*") && !f.inv.has(p+"*.*") && !f.inv.has(p+"*.*.*") {
				what = "is missing"
			}
			f.fail("", "cannot read the levels of %s: item %s.%d %s", prefix, prefix, j, what)
			return nil
		}
	}
	if count > 0 {
		levels = append(levels, cur)
	}
	return levels
}
