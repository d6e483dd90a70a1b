package mapping

import (
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// Component names one network of a Wan2.2 release.
type Component string

const (
	ComponentDiT Component = "dit" // the diffusion transformer
	ComponentT5  Component = "t5"  // the umt5-xxl text encoder
	ComponentVAE Component = "vae" // the Wan2.2 video VAE
)

// Components lists every component in release order.
var Components = []Component{ComponentDiT, ComponentT5, ComponentVAE}

// ParseComponent accepts "dit", "t5" or "vae".
func ParseComponent(s string) (Component, error) {
	for _, c := range Components {
		if string(c) == s {
			return c, nil
		}
	}
	return "", fmt.Errorf("unknown component %q (want dit, t5 or vae)", s)
}

// Transform is the layout change a tensor undergoes on conversion.
type Transform int

const (
	// Identity keeps name-independent layout and shape.
	Identity Transform = iota
	// ConvToChannelsLast moves axis 1 (input channels) to the end:
	// Conv3d (O,I,kT,kH,kW) → (O,kT,kH,kW,I), Conv2d (O,I,kH,kW) → (O,kH,kW,I).
	ConvToChannelsLast
	// SqueezeGamma reshapes an RMS-norm gamma (C,1,1[,1]) to (C,); the bytes
	// are unchanged.
	SqueezeGamma
	// FlattenPatch reshapes a Conv3d patch embedding weight (O,I,kT,kH,kW)
	// to the Linear weight (O, I·kT·kH·kW); the bytes are unchanged. Its
	// inverse needs the kernel size (see InShapeKernel).
	FlattenPatch
)

var transformNames = map[Transform]string{
	Identity:           "identity",
	ConvToChannelsLast: "conv-channels-last",
	SqueezeGamma:       "squeeze-gamma",
	FlattenPatch:       "flatten-patch",
}

// String returns the name used in RULES.md and reports.
func (t Transform) String() string {
	if s, ok := transformNames[t]; ok {
		return s
	}
	return fmt.Sprintf("Transform(%d)", int(t))
}

// OutShape returns the shape after the transform, or an error when the source
// shape cannot undergo it.
func (t Transform) OutShape(in []int64) ([]int64, error) {
	switch t {
	case Identity:
		return append([]int64(nil), in...), nil
	case ConvToChannelsLast:
		if len(in) < 3 {
			return nil, fmt.Errorf("%s needs a convolution weight of rank >= 3, got %s", t, tensor.ShapeString(in))
		}
		out := make([]int64, 0, len(in))
		out = append(out, in[0])
		out = append(out, in[2:]...)
		return append(out, in[1]), nil
	case SqueezeGamma:
		if len(in) < 1 {
			return nil, fmt.Errorf("%s needs a gamma of rank >= 1", t)
		}
		for _, d := range in[1:] {
			if d != 1 {
				return nil, fmt.Errorf("%s needs shape (C, 1, ...), got %s", t, tensor.ShapeString(in))
			}
		}
		return []int64{in[0]}, nil
	case FlattenPatch:
		return flattenPatchShape(in)
	}
	return nil, fmt.Errorf("unknown transform %d", int(t))
}

// InShape inverts OutShape; rank is the source rank (needed to restore the
// unit axes of a squeezed gamma).
func (t Transform) InShape(out []int64, rank int) ([]int64, error) {
	switch t {
	case Identity:
		return append([]int64(nil), out...), nil
	case ConvToChannelsLast:
		if len(out) < 3 {
			return nil, fmt.Errorf("%s output must have rank >= 3, got %s", t, tensor.ShapeString(out))
		}
		in := make([]int64, 0, len(out))
		in = append(in, out[0], out[len(out)-1])
		return append(in, out[1:len(out)-1]...), nil
	case SqueezeGamma:
		if len(out) != 1 || rank < 1 {
			return nil, fmt.Errorf("%s output must have shape (C,), got %s", t, tensor.ShapeString(out))
		}
		in := make([]int64, rank)
		for i := range in {
			in[i] = 1
		}
		in[0] = out[0]
		return in, nil
	case FlattenPatch:
		return nil, fmt.Errorf("%s cannot be undone without the kernel size", t)
	}
	return nil, fmt.Errorf("unknown transform %d", int(t))
}
