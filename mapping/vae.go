package mapping

import (
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// vaeImageChannels is the VAE's pixel channel count after 2×2 patchify (3·2·2).
const vaeImageChannels = 12

// VAEArch is the WanVAE_ configuration of wan/modules/vae2_2.py.
type VAEArch struct {
	Dim          int   `json:"dim"`     // encoder base width (encoder.conv1 out channels)
	DecDim       int   `json:"dec_dim"` // decoder base width
	ZDim         int   `json:"z_dim"`
	DimMult      []int `json:"dim_mult"`
	NumResBlocks int   `json:"num_res_blocks"`
	// AttnScales is always empty: vae2_2 has attention only in the middle
	// blocks, whatever the constructor argument says.
	AttnScales []float64 `json:"attn_scales"`
	// TemperalDownsample[i]: encoder stage i's downsample also halves time
	// (it has a time_conv). Upstream spelling.
	TemperalDownsample []bool `json:"temperal_downsample"`
	// TemperalUpsample[i]: decoder stage i's upsample doubles time. Upstream
	// always builds it as the reverse of TemperalDownsample.
	TemperalUpsample []bool `json:"temperal_upsample"`
}

// Component implements Arch.
func (a *VAEArch) Component() Component { return ComponentVAE }

// InferVAE reads the VAE architecture off the tensor shapes. Errors are
// *PlanError values listing every problem.
func InferVAE(src []tensor.Info) (*VAEArch, error) {
	f := &inferer{inv: newInventory(src)}
	a := &VAEArch{AttnScales: []float64{}}
	a.Dim = f.dim("dim", anchor{"encoder.conv1.weight", 5, 0}, anchor{"encoder.conv1.bias", 1, 0})
	z2 := f.dim("z_dim", anchor{"encoder.head.2.weight", 5, 0}, anchor{"encoder.head.2.bias", 1, 0},
		anchor{"conv1.weight", 5, 0}, anchor{"conv1.bias", 1, 0})
	a.ZDim = f.ratio("z_dim (encoder head channels / 2)", z2, 2)

	stages := f.count("encoder.downsamples", 1)
	if len(f.inv.indices("encoder.downsamples")) == 0 {
		f.fail("", "no encoder stages (encoder.downsamples.N.*) found")
	}
	for i := 0; i < stages; i++ {
		p := fmt.Sprintf("encoder.downsamples.%d.downsamples.", i)
		out := f.dim(fmt.Sprintf("dim_mult[%d]", i), anchor{p + "#.residual.2|6.weight", 5, 0},
			anchor{p + "#.residual.2|6.bias", 1, 0}, anchor{p + "#.residual.3.gamma", 4, 0})
		a.DimMult = append(a.DimMult, f.ratio(fmt.Sprintf("dim_mult[%d]", i), out, a.Dim))
		blocks := 0
		for _, j := range f.inv.indices(p[:len(p)-1]) {
			if f.inv.has(fmt.Sprintf("%s%d.residual.*.*", p, j)) {
				blocks++
			}
		}
		a.NumResBlocks = max(a.NumResBlocks, blocks)
		if i < stages-1 {
			a.TemperalDownsample = append(a.TemperalDownsample, f.inv.has(p+"#.time_conv.weight|bias"))
		}
	}
	for i := 0; i < stages-1; i++ {
		p := fmt.Sprintf("decoder.upsamples.%d.upsamples.#.time_conv.weight|bias", i)
		a.TemperalUpsample = append(a.TemperalUpsample, f.inv.has(p))
	}
	if stages > 0 {
		top := f.dim("dec_dim", anchor{"decoder.conv1.weight", 5, 0}, anchor{"decoder.conv1.bias", 1, 0})
		a.DecDim = f.ratio("dec_dim", top, a.DimMult[stages-1])
	}
	if stages > 0 && a.NumResBlocks == 0 {
		f.fail("", "no residual blocks in the encoder stages")
	}
	checkVAEUpsample(f, a)
	if err := f.err(ComponentVAE); err != nil {
		return a, err
	}
	return a, nil
}

// RequiredTorch implements Arch.
func (a *VAEArch) RequiredTorch() []tensor.Info {
	var r reqList
	n := len(a.DimMult)
	if n == 0 {
		return nil
	}
	resample := func(p string, c int, temporal bool, timeOut int) {
		r.conv2(p+".resample.1", c, c)
		if temporal {
			r.conv3(p+".time_conv", timeOut, c, 3, 1, 1)
		}
	}

	// Encoder: widths dim·[1, dim_mult...].
	enc := a.EncoderDims()
	r.conv3("encoder.conv1", enc[0], vaeImageChannels, 3, 3, 3)
	for i := 0; i < n; i++ {
		in, out := enc[i], enc[i+1]
		for j := 0; j < a.NumResBlocks; j++ {
			r.vaeResidual(fmt.Sprintf("encoder.downsamples.%d.downsamples.%d", i, j), in, out)
			in = out
		}
		if i != n-1 {
			resample(fmt.Sprintf("encoder.downsamples.%d.downsamples.%d", i, a.NumResBlocks), out, flagAt(a.TemperalDownsample, i), out)
		}
	}
	r.vaeMiddle("encoder", enc[n])
	r.vaeHead("encoder", enc[n], 2*a.ZDim)

	r.conv3("conv1", 2*a.ZDim, 2*a.ZDim, 1, 1, 1)
	r.conv3("conv2", a.ZDim, a.ZDim, 1, 1, 1)

	// Decoder: widths dec_dim·[dim_mult[-1], reversed dim_mult...].
	dec := a.DecoderDims()
	r.conv3("decoder.conv1", dec[0], a.ZDim, 3, 3, 3)
	r.vaeMiddle("decoder", dec[0])
	for i := 0; i < n; i++ {
		in, out := dec[i], dec[i+1]
		for j := 0; j <= a.NumResBlocks; j++ {
			r.vaeResidual(fmt.Sprintf("decoder.upsamples.%d.upsamples.%d", i, j), in, out)
			in = out
		}
		if i != n-1 {
			resample(fmt.Sprintf("decoder.upsamples.%d.upsamples.%d", i, a.NumResBlocks+1), out, flagAt(a.TemperalUpsample, i), 2*out)
		}
	}
	r.vaeHead("decoder", dec[n], vaeImageChannels)
	return r.sorted()
}

// RequiredMLX implements Arch.
func (a *VAEArch) RequiredMLX() []tensor.Info { return requiredMLX(ComponentVAE, a.RequiredTorch()) }
