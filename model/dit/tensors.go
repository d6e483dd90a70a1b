package dit

import (
	"fmt"

	"github.com/wanconv/wanconv/model/internal/weights"
)

// TensorSpec names one weight the model needs and its shape (MLX layout).
type TensorSpec = weights.Spec

// Tensors lists every weight of the architecture, in a fixed order, with
// MLX names and shapes (conv weight channels-last, Sequential children as
// "layers.N").
func (c Config) Tensors() []TensorSpec {
	d := c.Dim
	var specs []TensorSpec
	add := func(name string, shape ...int) { specs = append(specs, TensorSpec{Name: name, Shape: shape}) }
	linear := func(prefix string, out, in int) {
		add(prefix+".weight", out, in)
		add(prefix+".bias", out)
	}
	add(namePatchWeight, d, c.PatchSize[0], c.PatchSize[1], c.PatchSize[2], c.InDim)
	add("patch_embedding.bias", d)
	linear("text_embedding.layers.0", d, c.TextDim)
	linear("text_embedding.layers.2", d, d)
	linear("time_embedding.layers.0", d, c.FreqDim)
	linear("time_embedding.layers.2", d, d)
	linear("time_projection.layers.1", 6*d, d)
	for k := 0; k < c.NumLayers; k++ {
		b := fmt.Sprintf("blocks.%d", k)
		add(b+".modulation", 1, 6, d)
		for _, attn := range []string{"self_attn", "cross_attn"} {
			if attn == "cross_attn" && c.CrossAttnNorm {
				add(b+".norm3.weight", d)
				add(b+".norm3.bias", d)
			}
			for _, proj := range []string{"q", "k", "v", "o"} {
				linear(b+"."+attn+"."+proj, d, d)
			}
			if c.QKNorm {
				add(b+"."+attn+".norm_q.weight", d)
				add(b+"."+attn+".norm_k.weight", d)
			}
		}
		linear(b+".ffn.layers.0", c.FFNDim, d)
		linear(b+".ffn.layers.2", d, c.FFNDim)
	}
	add("head.modulation", 1, 2, d)
	linear("head.head", c.PatchVolume()*c.OutDim, d)
	return specs
}

// ParamCount is the number of parameters of the architecture.
func (c Config) ParamCount() int64 { return weights.ParamCount(c.Tensors()) }

// CheckShapes compares the shapes of the tensors at hand with Tensors() and
// returns one line per missing, wrong-shaped or unexpected tensor (nil when
// the set matches exactly).
func (c Config) CheckShapes(shapes map[string][]int) []string {
	return weights.CheckMap(c.Tensors(), shapes)
}
