//go:build mlx

package weights

import (
	"errors"
	"fmt"
	"sort"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

// dtypes maps the MLX element types that have a tensor.DType.
var dtypes = map[mlx.Dtype]tensor.DType{
	mlx.Bool: tensor.Bool, mlx.Uint8: tensor.U8, mlx.Int8: tensor.I8, mlx.Int16: tensor.I16,
	mlx.Int32: tensor.I32, mlx.Int64: tensor.I64, mlx.Float16: tensor.F16, mlx.BFloat16: tensor.BF16,
	mlx.Float32: tensor.F32, mlx.Float64: tensor.F64,
}

// DType returns the tensor.DType of an MLX element type; ok is false for
// the unsigned 16-, 32- and 64-bit types, which have none.
func DType(d mlx.Dtype) (dt tensor.DType, ok bool) {
	dt, ok = dtypes[d]
	return dt, ok
}

// Describe lists the name, dtype and shape of every array, sorted by name;
// a nil array counts as absent. mapping rejects non-floating dtypes itself;
// odd holds the dtype problems it cannot see: float64, which no model runs
// (they take float32, bfloat16 or float16 weights), and the unsigned types
// without a tensor.DType (described as tensor.Invalid, unchecked by mapping).
func Describe(ws map[string]*mlx.Array) (infos []tensor.Info, odd []mapping.Problem) {
	infos = make([]tensor.Info, 0, len(ws))
	for name, a := range ws {
		if a == nil {
			continue
		}
		dt, ok := DType(a.Dtype())
		switch {
		case !ok:
			odd = append(odd, mapping.Problem{Kind: mapping.ProblemDType, Name: name,
				Detail: fmt.Sprintf("dtype %v is not a floating-point type", a.Dtype())})
		case dt == tensor.F64:
			odd = append(odd, mapping.Problem{Kind: mapping.ProblemDType, Name: name,
				Detail: "dtype float64 is not supported (want float32, bfloat16 or float16)"})
		}
		infos = append(infos, Info(name, dt, a.Shape()))
	}
	tensor.SortInfos(infos)
	sort.Slice(odd, func(i, j int) bool { return odd[i].Name < odd[j].Name })
	return infos, odd
}

// Infer describes ws and hands the descriptions to configFrom, a model's
// ConfigFromTensors (mapping.CheckConverted, which infers the architecture
// and checks the set is complete, then ConfigFromArch). The dtype problems
// Describe found join its error, a *mapping.PlanError naming every
// problem tensor.
func Infer[C any](c mapping.Component, ws map[string]*mlx.Array, configFrom func([]tensor.Info) (C, error)) (C, error) {
	infos, odd := Describe(ws)
	cfg, err := configFrom(infos)
	if err = withProblems(c, err, odd); err != nil {
		var zero C
		return zero, err
	}
	return cfg, nil
}

// Check checks weights against a known architecture with
// mapping.CheckRequired; the error names every problem as Arch's does.
func Check(a mapping.Arch, ws map[string]*mlx.Array) error {
	infos, odd := Describe(ws)
	return withProblems(a.Component(), mapping.CheckRequired(a, infos), odd)
}

// withProblems adds the dtype problems Describe found to err.
func withProblems(c mapping.Component, err error, odd []mapping.Problem) error {
	if len(odd) == 0 {
		return err
	}
	if err == nil {
		return &mapping.PlanError{Component: c, Problems: odd}
	}
	var pe *mapping.PlanError
	if errors.As(err, &pe) {
		pe.Problems = append(pe.Problems, odd...)
		return pe
	}
	return fmt.Errorf("%w\n%v", err, &mapping.PlanError{Component: c, Problems: odd})
}
