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
	conv3 := func(name string, out, in, kt, kh, kw int) {
		r.add(name+".weight", out, in, kt, kh, kw)
		r.add(name+".bias", out)
	}
	residual := func(p string, in, out int) {
		r.add(p+".residual.0.gamma", in, 1, 1, 1)
		conv3(p+".residual.2", out, in, 3, 3, 3)
		r.add(p+".residual.3.gamma", out, 1, 1, 1)
		conv3(p+".residual.6", out, out, 3, 3, 3)
		if in != out {
			conv3(p+".shortcut", out, in, 1, 1, 1)
		}
	}
	middle := func(p string, c int) {
		residual(p+".middle.0", c, c)
		r.add(p+".middle.1.norm.gamma", c, 1, 1)
		r.add(p+".middle.1.to_qkv.weight", 3*c, c, 1, 1)
		r.add(p+".middle.1.to_qkv.bias", 3*c)
		r.add(p+".middle.1.proj.weight", c, c, 1, 1)
		r.add(p+".middle.1.proj.bias", c)
		residual(p+".middle.2", c, c)
	}
	head := func(p string, in, out int) {
		r.add(p+".head.0.gamma", in, 1, 1, 1)
		conv3(p+".head.2", out, in, 3, 3, 3)
	}
	resample := func(p string, c int, temporal bool, timeOut int) {
		r.add(p+".resample.1.weight", c, c, 3, 3)
		r.add(p+".resample.1.bias", c)
		if temporal {
			conv3(p+".time_conv", timeOut, c, 3, 1, 1)
		}
	}
	flag := func(flags []bool, i int) bool { return i < len(flags) && flags[i] }

	// Encoder: widths dim·[1, dim_mult...].
	enc := a.EncoderDims()
	conv3("encoder.conv1", enc[0], vaeImageChannels, 3, 3, 3)
	for i := 0; i < n; i++ {
		in, out := enc[i], enc[i+1]
		for j := 0; j < a.NumResBlocks; j++ {
			residual(fmt.Sprintf("encoder.downsamples.%d.downsamples.%d", i, j), in, out)
			in = out
		}
		if i != n-1 {
			resample(fmt.Sprintf("encoder.downsamples.%d.downsamples.%d", i, a.NumResBlocks), out, flag(a.TemperalDownsample, i), out)
		}
	}
	middle("encoder", enc[n])
	head("encoder", enc[n], 2*a.ZDim)

	conv3("conv1", 2*a.ZDim, 2*a.ZDim, 1, 1, 1)
	conv3("conv2", a.ZDim, a.ZDim, 1, 1, 1)

	// Decoder: widths dec_dim·[dim_mult[-1], reversed dim_mult...].
	dec := a.DecoderDims()
	conv3("decoder.conv1", dec[0], a.ZDim, 3, 3, 3)
	middle("decoder", dec[0])
	for i := 0; i < n; i++ {
		in, out := dec[i], dec[i+1]
		for j := 0; j <= a.NumResBlocks; j++ {
			residual(fmt.Sprintf("decoder.upsamples.%d.upsamples.%d", i, j), in, out)
			in = out
		}
		if i != n-1 {
			resample(fmt.Sprintf("decoder.upsamples.%d.upsamples.%d", i, a.NumResBlocks+1), out, flag(a.TemperalUpsample, i), 2*out)
		}
	}
	head("decoder", dec[n], vaeImageChannels)
	return r.sorted()
}

// RequiredMLX implements Arch.
func (a *VAEArch) RequiredMLX() []tensor.Info { return requiredMLX(ComponentVAE, a.RequiredTorch()) }
