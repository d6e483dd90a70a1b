package mapping

import (
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// familyVAE21 is the table family of the Wan2.1 VAE (wan/modules/vae2_1.py),
// a component-VAE architecture whose tensor tree differs from the Wan2.2
// VAE's (flat encoder.downsamples.N / decoder.upsamples.N lists).
const familyVAE21 = "vae2_1"

// familyArch is implemented by the architectures of a non-primary table
// family.
type familyArch interface{ family() string }

func archFamily(a Arch) string {
	if f, ok := a.(familyArch); ok {
		return f.family()
	}
	return ""
}

// ruleSets returns every compiled table of c in l, the primary one first.
func ruleSets(l Layout, c Component) ([]*ruleSet, error) {
	m, ok := compiledFamilies[l]
	if !ok {
		return nil, fmt.Errorf("unknown layout %q", l)
	}
	sets, ok := m[c]
	if !ok {
		return nil, fmt.Errorf("unknown component %q", c)
	}
	return sets, nil
}

// rulesForArch returns the table of a's family in layout l.
func rulesForArch(l Layout, a Arch) (*ruleSet, error) {
	sets, err := ruleSets(l, a.Component())
	if err != nil {
		return nil, err
	}
	fam := archFamily(a)
	for _, rs := range sets {
		if rs.family == fam {
			return rs, nil
		}
	}
	return nil, fmt.Errorf("no %s table for the %s architecture family %q", l, a.Component(), fam)
}

// bestRuleSet returns the table of c in l that accepts the most of the
// names (score counts one name); the primary table wins ties, so that a set
// no family claims gets the primary table's errors.
func bestRuleSet(l Layout, c Component, names []string, accepts func(rs *ruleSet, name string) bool) (*ruleSet, error) {
	sets, err := ruleSets(l, c)
	if err != nil {
		return nil, err
	}
	best, bestScore := sets[0], -1
	for _, rs := range sets {
		score := 0
		for _, n := range names {
			if accepts(rs, n) {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = rs, score
		}
	}
	return best, nil
}

func torchAccepts(rs *ruleSet, name string) bool { return len(rs.matches(name)) == 1 }

func convertedAccepts(rs *ruleSet, name string) bool {
	_, _, p := rs.mlxClassify(name)
	return p == nil
}

// rulesForTorch picks the table of c in l for a set of PyTorch-named
// tensors: the family whose rules classify the most names.
func rulesForTorch(l Layout, c Component, src []tensor.Info) (*ruleSet, error) {
	return bestRuleSet(l, c, infoNames(src), torchAccepts)
}

// rulesForConverted picks the table of c in l for a converted tensor set:
// the family whose names the most tensors have.
func rulesForConverted(l Layout, c Component, infos []tensor.Info) (*ruleSet, error) {
	return bestRuleSet(l, c, infoNames(infos), convertedAccepts)
}

func infoNames(infos []tensor.Info) []string {
	names := make([]string, len(infos))
	for i, t := range infos {
		names[i] = t.Name
	}
	return names
}

// RulesForArch returns a copy of the rule table a's tensors are converted
// by in layout l (the Wan2.1 VAE's for a *VAE21Arch).
func RulesForArch(l Layout, a Arch) []Rule {
	rs, err := rulesForArch(l, a)
	if err != nil {
		return nil
	}
	return append([]Rule(nil), rs.rules...)
}

// TargetNameArch returns the converted name in layout l of a PyTorch tensor
// name of architecture a. It differs from TargetNameLayout only for the
// Wan2.1 VAE, whose mlx-video names are the upstream ones.
func TargetNameArch(l Layout, a Arch, torchName string) string {
	rs, err := rulesForArch(l, a)
	if err != nil {
		return torchName
	}
	return rs.toMLX(torchName)
}

// SourceNameArch inverts TargetNameArch.
func SourceNameArch(l Layout, a Arch, name string) string {
	rs, err := rulesForArch(l, a)
	if err != nil {
		return name
	}
	return rs.fromMLX(name)
}
