package mapping

import (
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// Naming tells which convention a tensor set uses.
type Naming string

const (
	NamingPyTorch Naming = "pytorch" // upstream checkpoint names and layouts
	NamingMLX     Naming = "mlx"     // converted names and layouts
)

// mlxClassify resolves a converted tensor name to its rule and PyTorch name.
func (rs *ruleSet) mlxClassify(name string) (int, string, *Problem) {
	torch := rs.fromMLX(name)
	if back := rs.toMLX(torch); back != name {
		return -1, torch, &Problem{Kind: ProblemUnknown, Name: name,
			Detail: fmt.Sprintf("not a converted %s name (the converted name would be %s)", rs.component, back)}
	}
	ri, p := rs.classify(torch)
	if p != nil {
		p.Name = name
	}
	return ri, torch, p
}

// CheckConverted infers the architecture of a converted (MLX-named) tensor
// set and checks that it is exactly the set the architecture requires, in
// MLX names and converted shapes. configJSON is used by the DiT only. The
// error, a *PlanError, names the MLX tensors; the Arch is returned as far as
// it could be inferred.
func CheckConverted(c Component, mlx []tensor.Info, configJSON []byte) (Arch, error) {
	return CheckConvertedLayout(LayoutWanconv, c, mlx, configJSON)
}

// CheckConvertedLayout is CheckConverted for a checkpoint in layout l. For
// the DiT, configJSON also gives the patch size a flattened patch embedding
// is read back with (DefaultPatchSize when it has none).
func CheckConvertedLayout(l Layout, c Component, mlx []tensor.Info, configJSON []byte) (Arch, error) {
	rs, err := rulesForConverted(l, c, mlx)
	if err != nil {
		return nil, err
	}
	kernel := patchSizeHint(configJSON)
	chk := newChecker(mlx)
	var torch []tensor.Info
	chk.classify(func(name string) (int, *Problem) {
		ri, torchName, p := rs.mlxClassify(name)
		if p != nil {
			return ri, p
		}
		t := chk.byName[name]
		shape, err := rs.rules[ri].Transform.InShapeKernel(t.Shape, rs.rules[ri].Rank, kernel)
		if err != nil {
			return ri, &Problem{Kind: ProblemShape, Name: name, Detail: err.Error()}
		}
		torch = append(torch, tensor.Info{Name: torchName, DType: t.DType, Shape: shape})
		return ri, nil
	})
	arch, ok := chk.infer(c, torch, configJSON)
	if ok {
		chk.compare(rs.required(arch.RequiredTorch()))
	}
	return arch, chk.err(c)
}

// ToPyTorch maps converted tensor descriptions back to PyTorch names and
// shapes. Names that do not map are returned in the error (a *PlanError).
func ToPyTorch(c Component, mlx []tensor.Info) ([]tensor.Info, error) {
	return ToPyTorchLayout(LayoutWanconv, c, mlx, nil)
}

// ToPyTorchLayout is ToPyTorch for a checkpoint in layout l; configJSON (may
// be nil) gives the DiT patch size as for CheckConvertedLayout.
func ToPyTorchLayout(l Layout, c Component, mlx []tensor.Info, configJSON []byte) ([]tensor.Info, error) {
	rs, err := rulesForConverted(l, c, mlx)
	if err != nil {
		return nil, err
	}
	kernel := patchSizeHint(configJSON)
	var out []tensor.Info
	var problems []Problem
	for _, t := range mlx {
		ri, torchName, p := rs.mlxClassify(t.Name)
		if p != nil {
			problems = append(problems, *p)
			continue
		}
		shape, err := rs.rules[ri].Transform.InShapeKernel(t.Shape, rs.rules[ri].Rank, kernel)
		if err != nil {
			problems = append(problems, Problem{Kind: ProblemShape, Name: t.Name, Detail: err.Error()})
			continue
		}
		out = append(out, tensor.Info{Name: torchName, DType: t.DType, Shape: shape})
	}
	if len(problems) > 0 {
		return out, &PlanError{Component: c, Problems: problems}
	}
	return out, nil
}

// Detect guesses the component and naming of a tensor set from its names:
// the component and naming whose rule table claims the most names. On a tie
// between namings (no Sequential child present) PyTorch naming is reported.
func Detect(names []string) (Component, Naming, error) {
	best, bestNaming, bestScore := Component(""), NamingPyTorch, 0
	for _, c := range Components {
		for _, rs := range compiledFamilies[LayoutWanconv][c] {
			torchScore, mlxScore := 0, 0
			for _, n := range names {
				if len(rs.matches(n)) == 1 {
					torchScore++
				}
				if _, _, p := rs.mlxClassify(n); p == nil {
					mlxScore++
				}
			}
			if torchScore > bestScore {
				best, bestNaming, bestScore = c, NamingPyTorch, torchScore
			}
			if mlxScore > bestScore {
				best, bestNaming, bestScore = c, NamingMLX, mlxScore
			}
		}
	}
	if bestScore == 0 {
		return "", "", fmt.Errorf("no tensor name belongs to a Wan2.2 DiT, T5 or VAE (%d tensors)", len(names))
	}
	return best, bestNaming, nil
}
