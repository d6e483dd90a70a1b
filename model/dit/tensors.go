package dit

import (
	"fmt"
	"sort"
)

// TensorSpec names one weight the model needs and its shape (MLX layout).
type TensorSpec struct {
	Name  string
	Shape []int
}

// Tensors lists every weight of the architecture, in a fixed order, with
// MLX names and shapes (conv weight channels-last, Sequential children as
// "layers.N").
func (c Config) Tensors() []TensorSpec {
	d := c.Dim
	specs := []TensorSpec{
		{namePatchWeight, []int{d, c.PatchSize[0], c.PatchSize[1], c.PatchSize[2], c.InDim}},
		{"patch_embedding.bias", []int{d}},
	}
	linear := func(prefix string, out, in int) {
		specs = append(specs, TensorSpec{prefix + ".weight", []int{out, in}}, TensorSpec{prefix + ".bias", []int{out}})
	}
	linear("text_embedding.layers.0", d, c.TextDim)
	linear("text_embedding.layers.2", d, d)
	linear("time_embedding.layers.0", d, c.FreqDim)
	linear("time_embedding.layers.2", d, d)
	linear("time_projection.layers.1", 6*d, d)
	for k := 0; k < c.NumLayers; k++ {
		b := fmt.Sprintf("blocks.%d", k)
		specs = append(specs, TensorSpec{b + ".modulation", []int{1, 6, d}})
		for _, attn := range []string{"self_attn", "cross_attn"} {
			if attn == "cross_attn" && c.CrossAttnNorm {
				specs = append(specs, TensorSpec{b + ".norm3.weight", []int{d}}, TensorSpec{b + ".norm3.bias", []int{d}})
			}
			for _, proj := range []string{"q", "k", "v", "o"} {
				linear(b+"."+attn+"."+proj, d, d)
			}
			if c.QKNorm {
				specs = append(specs,
					TensorSpec{b + "." + attn + ".norm_q.weight", []int{d}},
					TensorSpec{b + "." + attn + ".norm_k.weight", []int{d}})
			}
		}
		linear(b+".ffn.layers.0", c.FFNDim, d)
		linear(b+".ffn.layers.2", d, c.FFNDim)
	}
	specs = append(specs, TensorSpec{"head.modulation", []int{1, 2, d}})
	linear("head.head", c.PatchVolume()*c.OutDim, d)
	return specs
}

// ParamCount is the number of parameters of the architecture.
func (c Config) ParamCount() int64 {
	var n int64
	for _, s := range c.Tensors() {
		p := int64(1)
		for _, v := range s.Shape {
			p *= int64(v)
		}
		n += p
	}
	return n
}

// CheckShapes compares the shapes of the tensors at hand with Tensors() and
// returns one line per missing, wrong-shaped or unexpected tensor (nil when
// the set matches exactly).
func (c Config) CheckShapes(shapes map[string][]int) []string {
	var problems []string
	want := make(map[string]bool)
	for _, s := range c.Tensors() {
		want[s.Name] = true
		got, ok := shapes[s.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing tensor %s %v", s.Name, s.Shape))
		case !sameShape(got, s.Shape):
			problems = append(problems, fmt.Sprintf("tensor %s has shape %v, want %v", s.Name, got, s.Shape))
		}
	}
	var extra []string
	for name := range shapes {
		if !want[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		problems = append(problems, fmt.Sprintf("unexpected tensor %s", name))
	}
	return problems
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
