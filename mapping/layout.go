package mapping

import (
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// Layout names a converted checkpoint's tensor naming and layout
// convention. The rule tables classify the same PyTorch tensors in every
// layout; the renames (and one transform) differ.
type Layout string

const (
	// LayoutWanconv is wanconv's own tree: upstream names with "layers"
	// inserted into nn.Sequential children (RULES.md).
	LayoutWanconv Layout = "wanconv"
	// LayoutMLXVideo is what Blaizzy/mlx-video's Wan2.2 runtime loads.
	LayoutMLXVideo Layout = "mlx-video"
)

// Layouts lists every layout, the default first.
var Layouts = []Layout{LayoutWanconv, LayoutMLXVideo}

// ParseLayout accepts "wanconv" or "mlx-video".
func ParseLayout(s string) (Layout, error) {
	for _, l := range Layouts {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown layout %q (want wanconv or mlx-video)", s)
}

// RulesFor returns a copy of the rule table of component c in layout l (nil
// when either is unknown).
func RulesFor(l Layout, c Component) []Rule {
	return append([]Rule(nil), layoutTables[l][c].rules...)
}

// RenamesFor returns a copy of the renames of component c in layout l.
func RenamesFor(l Layout, c Component) []Rename {
	return append([]Rename(nil), layoutTables[l][c].renames...)
}

// TargetNameLayout returns the converted name of a PyTorch tensor name of
// component c in layout l (the name itself when either is unknown).
func TargetNameLayout(l Layout, c Component, torchName string) string {
	rs, err := rulesForLayout(l, c)
	if err != nil {
		return torchName
	}
	return rs.toMLX(torchName)
}

// SourceNameLayout returns the PyTorch name of a converted tensor name of
// component c in layout l.
func SourceNameLayout(l Layout, c Component, name string) string {
	rs, err := rulesForLayout(l, c)
	if err != nil {
		return name
	}
	return rs.fromMLX(name)
}

// RequiredLayout lists the converted tensors (name, converted shape) of an
// architecture in layout l, sorted by name; DType is left Invalid. For
// LayoutWanconv it equals a.RequiredMLX().
func RequiredLayout(l Layout, a Arch) []tensor.Info {
	rs, err := rulesForArch(l, a)
	if err != nil {
		return nil
	}
	return rs.required(a.RequiredTorch())
}

// required converts a required PyTorch list through the rule set.
func (rs *ruleSet) required(torch []tensor.Info) []tensor.Info {
	out := make([]tensor.Info, 0, len(torch))
	for _, t := range torch {
		shape := t.Shape
		if m := rs.matches(t.Name); len(m) == 1 {
			if s, err := rs.rules[m[0]].Transform.OutShape(t.Shape); err == nil {
				shape = s
			}
		}
		out = append(out, tensor.Info{Name: rs.toMLX(t.Name), Shape: shape})
	}
	tensor.SortInfos(out)
	return out
}

// CheckRequiredLayout is CheckRequired for a checkpoint in layout l.
func CheckRequiredLayout(l Layout, a Arch, converted []tensor.Info) error {
	chk := newChecker(converted)
	chk.compare(RequiredLayout(l, a))
	return chk.err(a.Component())
}

// DetectLayout guesses the component and layout of a converted tensor set
// from its names: the pair whose rules claim the most names. A tie (a set
// whose names every layout shares) reports the earlier layout of Layouts.
func DetectLayout(names []string) (Component, Layout, error) {
	best, bestLayout, bestScore := Component(""), Layout(""), 0
	for _, l := range Layouts {
		for _, c := range Components {
			for _, rs := range compiledFamilies[l][c] {
				score := 0
				for _, n := range names {
					if _, _, p := rs.mlxClassify(n); p == nil {
						score++
					}
				}
				if score > bestScore {
					best, bestLayout, bestScore = c, l, score
				}
			}
		}
	}
	if bestScore == 0 {
		return "", "", fmt.Errorf("no tensor name belongs to a converted Wan2.2 DiT, T5 or VAE in any layout (%d tensors)", len(names))
	}
	return best, bestLayout, nil
}
