package mapping

import "github.com/wanconv/wanconv/tensor"

// CheckRequired checks a converted (MLX-named) tensor set against a known
// architecture rather than one inferred from the set: every tensor of
// a.RequiredMLX() must be present with its converted shape and a
// floating-point dtype (when the dtype is given), and nothing else may be
// present. The error, a *PlanError, names every missing, wrong-shaped,
// unexpected, duplicate or non-floating tensor.
func CheckRequired(a Arch, mlx []tensor.Info) error {
	chk := newChecker(mlx)
	chk.compare(a.RequiredMLX())
	return chk.err(a.Component())
}
