package vae

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/model/internal/weights"
)

// TensorSpec is one tensor the converted VAE must contain.
type TensorSpec = weights.Spec

// Tensors lists every tensor the architecture needs (MLX names and
// converted shapes), sorted by name.
func (c Config) Tensors() []TensorSpec {
	var out []TensorSpec
	add := func(name string, shape ...int) { out = append(out, TensorSpec{Name: name, Shape: shape}) }
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
func (c Config) ParamCount() int64 { return weights.ParamCount(c.Tensors()) }

// CheckTensors compares the tensors present (names in have, shapes via
// shape) with those the architecture needs, and returns one error listing
// every missing, wrong-shaped and unexpected tensor, or nil.
func (c Config) CheckTensors(have []string, shape ShapeLookup) error {
	if problems := weights.Check(c.Tensors(), have, shape); len(problems) > 0 {
		return &TensorError{Problems: problems}
	}
	return nil
}

// TensorError lists every problem found in a set of VAE weights.
type TensorError struct {
	Problems []string
}

func (e *TensorError) Error() string {
	return fmt.Sprintf("vae weights: %d problem(s): %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

// encResPrefix names block j of encoder level i.
func encResPrefix(level, block int) string {
	return fmt.Sprintf("encoder.downsamples.layers.%d.downsamples.layers.%d", level, block)
}

// decResPrefix names block j of decoder level i.
func decResPrefix(level, block int) string {
	return fmt.Sprintf("decoder.upsamples.layers.%d.upsamples.layers.%d", level, block)
}
