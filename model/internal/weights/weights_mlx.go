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
	mlx.Float32: tensor.F32, mlx.Float64: tensor.F64, mlx.Uint32: tensor.U32,
}

// MLXDType returns the MLX element type of a floating-point tensor.DType
// (float32 for any other value; callers resolve dtypes with ComputeDType
// first).
func MLXDType(dt tensor.DType) mlx.Dtype {
	switch dt {
	case tensor.BF16:
		return mlx.BFloat16
	case tensor.F16:
		return mlx.Float16
	}
	return mlx.Float32
}

// DType returns the tensor.DType of an MLX element type; ok is false for
// the unsigned 16- and 64-bit types, which have none.
func DType(d mlx.Dtype) (dt tensor.DType, ok bool) {
	dt, ok = dtypes[d]
	return dt, ok
}

// Describe lists the name, dtype and shape of every array, sorted by name;
// a nil array counts as absent. mapping rejects non-floating dtypes itself;
// odd holds the dtype problems it cannot see: float64, which no model runs
// (they take float32, bfloat16 or float16 weights), and the unsigned types
// without a tensor.DType (described as tensor.Invalid, unchecked by mapping).
// uint32 (packed quantized weights) is described as tensor.U32, which mapping
// rejects as not floating point unless the caller resolved the quantized
// triplets first.
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

// Infer describes ws and hands the descriptions to mapping.CheckConverted,
// which infers the component's architecture (with config.json for the DiT;
// nil otherwise) and checks the set is exactly the one it requires. The
// dtype problems Describe found join its error, a *mapping.PlanError naming
// every problem tensor.
func Infer(c mapping.Component, ws map[string]*mlx.Array, configJSON []byte) (mapping.Arch, error) {
	infos, odd := Describe(ws)
	return InferInfos(c, infos, odd, configJSON)
}

// InferInfos is Infer on descriptions already made (a quantized DiT's,
// resolved by mapping.SplitQuantizedDiT), with the problems found making
// them.
func InferInfos(c mapping.Component, infos []tensor.Info, odd []mapping.Problem, configJSON []byte) (mapping.Arch, error) {
	arch, err := mapping.CheckConverted(c, infos, configJSON)
	if err = withProblems(c, err, odd); err != nil {
		return nil, err
	}
	return arch, nil
}

// Check checks weights against a known architecture with
// mapping.CheckRequired; the error names every problem as Arch's does.
func Check(a mapping.Arch, ws map[string]*mlx.Array) error {
	infos, odd := Describe(ws)
	return CheckInfos(a, infos, odd)
}

// CheckInfos is Check on descriptions already made.
func CheckInfos(a mapping.Arch, infos []tensor.Info, odd []mapping.Problem) error {
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

// Take applies the models' ownership rule once New has succeeded: every
// array of ws for which uses reports true is detached from the current
// scope (mlx.Keep) and returned, for the model to free in Free; every other
// array (a weight the model replaced by a converted copy) is freed now. An
// array listed under two names is handled once. Must run inside mlx.Do.
func Take(ws map[string]*mlx.Array, uses func(*mlx.Array) bool) []*mlx.Array {
	names := make([]string, 0, len(ws))
	for name := range ws {
		names = append(names, name)
	}
	sort.Strings(names)
	seen := make(map[*mlx.Array]bool, len(ws))
	var kept []*mlx.Array
	for _, name := range names {
		a := ws[name]
		if a == nil || seen[a] {
			continue
		}
		seen[a] = true
		if uses(a) {
			mlx.Keep(a)
			kept = append(kept, a)
		} else {
			a.Free()
		}
	}
	return kept
}
