package vae

import (
	"fmt"
	"sort"
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

// ShapeLookup tells the shape of a named tensor.
type ShapeLookup func(name string) ([]int, bool)

// InferConfig derives the architecture from converted (MLX-named) tensor
// shapes. It reads only the tensors that carry architecture information;
// use CheckTensors to validate the full set.
func InferConfig(shape ShapeLookup) (Config, error) {
	var c Config
	need := func(name string, rank int) ([]int, error) {
		s, ok := shape(name)
		if !ok {
			return nil, fmt.Errorf("vae: cannot infer architecture: tensor %q is missing", name)
		}
		if len(s) != rank {
			return nil, fmt.Errorf("vae: cannot infer architecture: tensor %q has shape %v, want rank %d", name, s, rank)
		}
		return s, nil
	}
	stem, err := need("encoder.conv1.weight", 5)
	if err != nil {
		return c, err
	}
	if stem[4] != patchChannels {
		return c, fmt.Errorf("vae: tensor %q has %d input channels, want %d (patchified RGB)", "encoder.conv1.weight", stem[4], patchChannels)
	}
	c.Dim = stem[0]
	post, err := need("conv2.weight", 5)
	if err != nil {
		return c, err
	}
	c.ZDim = post[0]

	levels := 0
	for {
		if _, ok := shape(encResPrefix(levels, 0) + ".residual.layers.2.weight"); !ok {
			break
		}
		levels++
	}
	if levels == 0 {
		return c, fmt.Errorf("vae: cannot infer architecture: tensor %q is missing", encResPrefix(0, 0)+".residual.layers.2.weight")
	}
	for {
		if _, ok := shape(encResPrefix(0, c.NumResBlocks) + ".residual.layers.2.weight"); !ok {
			break
		}
		c.NumResBlocks++
	}
	for i := 0; i < levels; i++ {
		s, err := need(encResPrefix(i, 0)+".residual.layers.2.weight", 5)
		if err != nil {
			return c, err
		}
		if c.Dim == 0 || s[0]%c.Dim != 0 {
			return c, fmt.Errorf("vae: tensor %q has %d output channels, not a multiple of the base width %d",
				encResPrefix(i, 0)+".residual.layers.2.weight", s[0], c.Dim)
		}
		c.DimMult = append(c.DimMult, s[0]/c.Dim)
	}
	for i := 0; i < levels-1; i++ {
		_, ok := shape(encResPrefix(i, c.NumResBlocks) + ".time_conv.weight")
		c.TemporalDownsample = append(c.TemporalDownsample, ok)
	}
	head, err := need("decoder.head.layers.2.weight", 5)
	if err != nil {
		return c, err
	}
	if head[4]%c.DimMult[0] != 0 {
		return c, fmt.Errorf("vae: tensor %q has %d input channels, not a multiple of dim_mult[0] = %d",
			"decoder.head.layers.2.weight", head[4], c.DimMult[0])
	}
	c.DecDim = head[4] / c.DimMult[0]
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// TensorSpec is one tensor the converted VAE must contain.
type TensorSpec struct {
	Name  string
	Shape []int
}

// Tensors lists every tensor the architecture needs (MLX names and
// converted shapes), sorted by name.
func (c Config) Tensors() []TensorSpec {
	var out []TensorSpec
	add := func(name string, shape ...int) { out = append(out, TensorSpec{name, shape}) }
	conv3 := func(p string, in, outC, kt, k int) {
		add(p+".weight", outC, kt, k, k, in)
		add(p+".bias", outC)
	}
	conv2 := func(p string, in, outC, k int) {
		add(p+".weight", outC, k, k, in)
		add(p+".bias", outC)
	}
	res := func(p string, in, outC int) {
		add(p+".residual.layers.0.gamma", in)
		conv3(p+".residual.layers.2", in, outC, 3, 3)
		add(p+".residual.layers.3.gamma", outC)
		conv3(p+".residual.layers.6", outC, outC, 3, 3)
		if in != outC {
			conv3(p+".shortcut", in, outC, 1, 1)
		}
	}
	middle := func(p string, d int) {
		res(p+".layers.0", d, d)
		add(p+".layers.1.norm.gamma", d)
		conv2(p+".layers.1.to_qkv", d, 3*d, 1)
		conv2(p+".layers.1.proj", d, d, 1)
		res(p+".layers.2", d, d)
	}
	last := len(c.DimMult) - 1

	enc := c.encoderDims()
	conv3("encoder.conv1", patchChannels, enc[0], 3, 3)
	for i := 0; i <= last; i++ {
		in := enc[i]
		for j := 0; j < c.NumResBlocks; j++ {
			res(encResPrefix(i, j), in, enc[i+1])
			in = enc[i+1]
		}
		if i != last {
			p := encResPrefix(i, c.NumResBlocks)
			conv2(p+".resample.layers.1", in, in, 3)
			if c.TemporalDownsample[i] {
				conv3(p+".time_conv", in, in, 3, 1)
			}
		}
	}
	middle("encoder.middle", enc[last+1])
	add("encoder.head.layers.0.gamma", enc[last+1])
	conv3("encoder.head.layers.2", enc[last+1], 2*c.ZDim, 3, 3)
	conv3("conv1", 2*c.ZDim, 2*c.ZDim, 1, 1)
	conv3("conv2", c.ZDim, c.ZDim, 1, 1)

	dec := c.decoderDims()
	up := c.temporalUpsample()
	conv3("decoder.conv1", c.ZDim, dec[0], 3, 3)
	middle("decoder.middle", dec[0])
	for i := 0; i <= last; i++ {
		in := dec[i]
		for j := 0; j < c.NumResBlocks+1; j++ {
			res(decResPrefix(i, j), in, dec[i+1])
			in = dec[i+1]
		}
		if i != last {
			p := decResPrefix(i, c.NumResBlocks+1)
			conv2(p+".resample.layers.1", in, in, 3)
			if up[i] {
				conv3(p+".time_conv", in, 2*in, 3, 1)
			}
		}
	}
	add("decoder.head.layers.0.gamma", dec[last+1])
	conv3("decoder.head.layers.2", dec[last+1], patchChannels, 3, 3)

	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// ParamCount is the number of parameters of the architecture.
func (c Config) ParamCount() int64 {
	var n int64
	for _, t := range c.Tensors() {
		p := int64(1)
		for _, d := range t.Shape {
			p *= int64(d)
		}
		n += p
	}
	return n
}

// CheckTensors compares the tensors present (names in have, shapes via
// shape) with those the architecture needs, and returns one error listing
// every missing, wrong-shaped and unexpected tensor, or nil.
func (c Config) CheckTensors(have []string, shape ShapeLookup) error {
	want := c.Tensors()
	known := make(map[string]bool, len(want))
	var problems []string
	for _, t := range want {
		known[t.Name] = true
		s, ok := shape(t.Name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing tensor %q (want shape %v)", t.Name, t.Shape))
		case !sameShape(s, t.Shape):
			problems = append(problems, fmt.Sprintf("tensor %q has shape %v, want %v", t.Name, s, t.Shape))
		}
	}
	extra := make([]string, 0)
	for _, n := range have {
		if !known[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		problems = append(problems, fmt.Sprintf("unexpected tensor %q", n))
	}
	if len(problems) == 0 {
		return nil
	}
	return &TensorError{Problems: problems}
}

// TensorError lists every problem found in a set of VAE weights.
type TensorError struct {
	Problems []string
}

func (e *TensorError) Error() string {
	return fmt.Sprintf("vae weights: %d problem(s): %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// encResPrefix names block j of encoder level i.
func encResPrefix(level, block int) string {
	return fmt.Sprintf("encoder.downsamples.layers.%d.downsamples.layers.%d", level, block)
}

// decResPrefix names block j of decoder level i.
func decResPrefix(level, block int) string {
	return fmt.Sprintf("decoder.upsamples.layers.%d.upsamples.layers.%d", level, block)
}
