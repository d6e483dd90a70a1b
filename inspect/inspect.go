package inspect

import (
	"errors"
	"fmt"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// Options select optional parts of a Report.
type Options struct {
	// Tensors lists every tensor (name, dtype, shape) per component.
	Tensors bool
}

// Inspect describes the checkpoint(s) at path: a .safetensors file, a sharded
// index .json, a .pth file, a release directory or a converted directory.
// It reads headers only. An error means the input could not be read or
// understood; a component that was read but is incomplete or inconsistent
// is reported with Check "failed" and its problems instead.
func Inspect(path string, opt Options) (*Report, error) {
	res, err := resolve(path)
	if err != nil {
		return nil, err
	}
	defer res.tree.Close()
	rep := &Report{Version: Version, Path: path, Input: res.input, Release: res.release, MissingComponents: res.missing,
		Components: []*ComponentReport{}}
	if rep.MissingComponents == nil {
		rep.MissingComponents = []mapping.Component{}
	}
	for _, t := range res.targets {
		cr, err := inspectTarget(res.tree, t, opt)
		if err != nil {
			return nil, err
		}
		rep.Components = append(rep.Components, cr)
	}
	return rep, nil
}

func inspectTarget(tree *layout.Tree, t target, opt Options) (*ComponentReport, error) {
	o, err := openTarget(tree, t.path)
	if err != nil {
		return nil, err
	}
	comp, naming := t.component, t.naming
	if comp == "" {
		names := make([]string, len(o.infos))
		for i, info := range o.infos {
			names[i] = info.Name
		}
		if comp, naming, err = mapping.Detect(names); err != nil {
			if !opt.Tensors {
				return nil, fmt.Errorf("%s: %w (inspect --tensors lists any checkpoint's tensors)", t.path, err)
			}
			comp, naming = "", ""
		}
	}
	lay := t.layout
	if naming == mapping.NamingMLX && lay == "" {
		names := make([]string, len(o.infos))
		for i, info := range o.infos {
			names[i] = info.Name
		}
		if _, l, err := mapping.DetectLayout(names); err == nil {
			lay = l
		} else {
			lay = mapping.LayoutWanconv
		}
	}
	cr := &ComponentReport{
		Component: comp, Expert: string(t.expert), Naming: naming, Layout: lay, Format: o.format, Index: o.index, Files: o.files,
		Metadata: o.metadata, TensorCount: len(o.infos), DTypes: map[string]int{},
		Problems: []mapping.Problem{},
	}
	for _, info := range o.infos {
		cr.ParamCount += info.NumElements()
		cr.Bytes += info.NumBytes()
		cr.DTypes[info.DType.Name()]++
		if opt.Tensors {
			shape := append([]int64{}, info.Shape...) // a scalar is [], never null
			cr.Tensors = append(cr.Tensors, TensorEntry{Name: info.Name, DType: info.DType.Name(), Shape: shape})
		}
	}
	if comp == "" {
		cr.Check = CheckUnrecognised
		return cr, nil
	}
	if o.index == nil && shardName.MatchString(t.path) {
		cr.Check = CheckSkipped
		return cr, nil
	}
	var config []byte
	if comp == mapping.ComponentDiT && t.config != "" {
		if config, err = readConfig(tree, t.config); err != nil {
			return nil, err
		}
		cr.Config = &t.config
	}
	infos, quantProblems := o.infos, []mapping.Problem(nil)
	if comp == mapping.ComponentDiT && naming == mapping.NamingMLX {
		var q *mapping.QuantizedDiT
		if infos, q, quantProblems, err = resolveQuantized(lay, o.infos, config); err != nil {
			return nil, fmt.Errorf("%s: %w", t.path, err)
		}
		if q != nil && q.Params.Bits != 0 {
			cr.Quantization = &Quantization{Bits: q.Params.Bits, GroupSize: q.Params.GroupSize, Linears: len(q.Linears)}
			cr.ParamCount = tensor.ParamCount(infos)
		}
	}
	arch, err := check(comp, naming, lay, infos, config)
	if len(quantProblems) > 0 {
		var pe *mapping.PlanError
		if errors.As(err, &pe) {
			pe.Problems = append(quantProblems, pe.Problems...)
		} else if err == nil {
			err = &mapping.PlanError{Component: comp, Problems: quantProblems}
		}
	}
	cr.Check = CheckPassed
	cr.Architecture = arch
	var pe *mapping.PlanError
	switch {
	case errors.As(err, &pe):
		cr.Check = CheckFailed
		cr.Problems = pe.Problems
		for _, p := range pe.Problems {
			if p.Kind == mapping.ProblemArch {
				cr.Architecture = nil // only partly inferred
			}
		}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", t.path, err)
	}
	return cr, nil
}

// resolveQuantized describes a quantized DiT's Linears as the dense weights
// they stand for (mapping.SplitQuantizedDiT); their problems come back as a
// *mapping.PlanError with the completeness check's. q is nil for a dense DiT.
func resolveQuantized(l mapping.Layout, infos []tensor.Info, config []byte) ([]tensor.Info, *mapping.QuantizedDiT, []mapping.Problem, error) {
	stated, err := mapping.QuantizationOf(config)
	if err != nil || !mapping.IsQuantizedDiT(infos, stated) {
		return infos, nil, nil, err
	}
	q, probs := mapping.SplitQuantizedDiT(l, infos, stated)
	return q.Dense, q, probs, nil
}

// check infers the architecture and runs the completeness check in the
// source's own naming.
func check(c mapping.Component, naming mapping.Naming, l mapping.Layout, infos []tensor.Info, config []byte) (mapping.Arch, error) {
	if naming == mapping.NamingMLX {
		return mapping.CheckConvertedLayout(l, c, infos, config)
	}
	plan, err := mapping.PlanComponent(c, infos, config)
	if plan == nil {
		return nil, err
	}
	return plan.Arch, err
}

// Errors returns one *mapping.PlanError per failed component, naming its
// file (the index for a sharded component).
func (r *Report) Errors() []error {
	var errs []error
	for _, c := range r.Components {
		if c.Check != CheckFailed {
			continue
		}
		file := c.Files[0]
		if c.Index != nil {
			file = *c.Index
		}
		errs = append(errs, &mapping.PlanError{File: file, Component: c.Component, Problems: c.Problems})
	}
	return errs
}

// Invalid is everything that makes the input invalid or incomplete: the
// failed components (Errors) and one error per component a directory
// lacks. cmd/inspect prints them and exits 2.
func (r *Report) Invalid() []error {
	errs := r.Errors()
	for _, c := range r.MissingComponents {
		errs = append(errs, fmt.Errorf("%s: no %s component found", r.Path, c))
	}
	return errs
}
