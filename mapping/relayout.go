package mapping

import (
	"fmt"
	"strings"

	"github.com/wanconv/wanconv/tensor"
)

// Relayout says how one tensor of a converted checkpoint in another layout
// becomes the wanconv layout's (what the models load): rename Name to
// Target, and when From and To differ, undo From (giving the PyTorch shape
// TorchShape) and apply To (giving Shape). From == To means the bytes and
// shape stay as they are.
type Relayout struct {
	Name, Target string
	From, To     Transform
	TorchShape   []int64
	Shape        []int64 // the wanconv shape
}

// RelayoutToWanconv maps a converted tensor set of component c in layout l
// to the wanconv layout, tensor by tensor, with the table family the names
// belong to (the Wan2.1 VAE's mlx-video gammas, kept (C, 1, 1, 1), become
// (C,); the mlx-video DiT's flattened patch embedding becomes the
// channels-last Conv3d weight, read back with configJSON's patch size). It
// checks names and shapes only, not completeness (CheckConvertedLayout
// does). A quantized DiT's Linears (uint32 <p>.weight codes with <p>.scales
// and <p>.biases) are renamed as their weight, shapes and bytes kept. The
// error, a *PlanError, names every tensor that does not map.
func RelayoutToWanconv(l Layout, c Component, infos []tensor.Info, configJSON []byte) ([]Relayout, error) {
	rs, err := rulesForConverted(l, c, infos)
	if err != nil {
		return nil, err
	}
	var to *ruleSet
	sets, err := ruleSets(LayoutWanconv, c)
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if s.family == rs.family {
			to = s
		}
	}
	if to == nil {
		return nil, fmt.Errorf("no wanconv table for the %s family %q", c, rs.family)
	}
	kernel := patchSizeHint(configJSON)
	out := make([]Relayout, 0, len(infos))
	var problems []Problem
	packed := map[string]bool{}
	for _, t := range infos {
		if t.DType == tensor.U32 {
			packed[t.Name] = true
		}
	}
	for _, t := range infos {
		if stem, suffix, ok := quantizedPart(t.Name, packed); ok {
			_, torchName, p := rs.mlxClassify(stem + ".weight")
			if p != nil {
				p.Name = t.Name
				problems = append(problems, *p)
				continue
			}
			target := strings.TrimSuffix(to.toMLX(torchName), ".weight") + suffix
			out = append(out, Relayout{Name: t.Name, Target: target, From: Identity, To: Identity, TorchShape: t.Shape, Shape: t.Shape})
			continue
		}
		ri, torchName, p := rs.mlxClassify(t.Name)
		if p != nil {
			problems = append(problems, *p)
			continue
		}
		r := rs.rules[ri]
		torchShape, err := r.Transform.InShapeKernel(t.Shape, r.Rank, kernel)
		if err != nil {
			problems = append(problems, Problem{Kind: ProblemShape, Name: t.Name, Detail: err.Error()})
			continue
		}
		ti, p := to.classify(torchName)
		if p != nil {
			p.Name = t.Name
			problems = append(problems, *p)
			continue
		}
		tr := to.rules[ti].Transform
		shape, err := tr.OutShape(torchShape)
		if err != nil {
			problems = append(problems, Problem{Kind: ProblemShape, Name: t.Name, Detail: err.Error()})
			continue
		}
		out = append(out, Relayout{Name: t.Name, Target: to.toMLX(torchName), From: r.Transform, To: tr,
			TorchShape: torchShape, Shape: shape})
	}
	if len(problems) > 0 {
		return out, &PlanError{Component: c, Problems: problems}
	}
	return out, nil
}

// quantizedPart splits a quantized Linear's <p>.scales or <p>.biases
// (packed lists the uint32 codes).
func quantizedPart(name string, packed map[string]bool) (stem, suffix string, ok bool) {
	for _, suffix := range []string{".scales", ".biases"} {
		if stem, ok := strings.CutSuffix(name, suffix); ok && packed[stem+".weight"] {
			return stem, suffix, true
		}
	}
	return "", "", false
}
