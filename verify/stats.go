package verify

import (
	"fmt"
	"math"
	"slices"
)

// Stats summarises a tensor: the statistics the golden files record.
type Stats struct {
	Shape   []int   `json:"shape"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Mean    float64 `json:"mean"`
	Std     float64 `json:"std"`
	AbsMean float64 `json:"abs_mean"`
}

// ComputeStats computes Stats over data (population std, as numpy's default).
// Accumulation is in float64 so the figures do not depend on summation order
// at float32 precision.
func ComputeStats(shape []int, data []float32) Stats {
	s := Stats{Shape: append([]int(nil), shape...), Min: math.Inf(1), Max: math.Inf(-1)}
	if len(data) == 0 {
		s.Min, s.Max = 0, 0
		return s
	}
	var sum, abs float64
	for _, v := range data {
		f := float64(v)
		sum += f
		abs += math.Abs(f)
		s.Min = math.Min(s.Min, f)
		s.Max = math.Max(s.Max, f)
	}
	n := float64(len(data))
	s.Mean = sum / n
	s.AbsMean = abs / n
	var sq float64
	for _, v := range data {
		d := float64(v) - s.Mean
		sq += d * d
	}
	s.Std = math.Sqrt(sq / n)
	return s
}

// ErrorVsReference is the element-wise comparison of an output with the
// upstream reference tensor.
type ErrorVsReference struct {
	MaxAbsErr  float64 `json:"max_abs_err"`
	MeanAbsErr float64 `json:"mean_abs_err"`
	RefStd     float64 `json:"ref_std"`
	// RelErr is MaxAbsErr / RefStd, the figure the tolerances apply to.
	RelErr    float64 `json:"max_abs_err_over_ref_std"`
	Tolerance float64 `json:"tolerance"`
	Passed    bool    `json:"passed"`
}

// CompareWithReference computes max |got − ref| and its ratio to std(ref).
func CompareWithReference(got, ref []float32, tol float64) (ErrorVsReference, error) {
	if len(got) != len(ref) {
		return ErrorVsReference{}, fmt.Errorf("output has %d elements, reference %d", len(got), len(ref))
	}
	st := ComputeStats(nil, ref)
	e := ErrorVsReference{RefStd: st.Std, Tolerance: tol}
	var sum float64
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(ref[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		sum += d
		e.MaxAbsErr = math.Max(e.MaxAbsErr, d)
	}
	if len(got) > 0 {
		e.MeanAbsErr = sum / float64(len(got))
	}
	if st.Std > 0 {
		e.RelErr = e.MaxAbsErr / st.Std
	} else {
		e.RelErr = e.MaxAbsErr
	}
	e.Passed = e.RelErr <= tol
	return e, nil
}

// StatsDiff compares got with want: every statistic must lie within
// tol × want.Std (plus a tiny absolute floor for all-zero outputs).
// It returns the worst deviation in units of want.Std and the names of the
// statistics outside tolerance.
func StatsDiff(got, want Stats, tol float64) (worst float64, bad []string) {
	if !slices.Equal(got.Shape, want.Shape) {
		return math.Inf(1), []string{fmt.Sprintf("shape %v, golden %v", got.Shape, want.Shape)}
	}
	scale := want.Std
	if scale < 1e-12 {
		scale = 1e-12
	}
	pairs := []struct {
		name string
		g, w float64
	}{
		{"min", got.Min, want.Min}, {"max", got.Max, want.Max}, {"mean", got.Mean, want.Mean},
		{"std", got.Std, want.Std}, {"abs_mean", got.AbsMean, want.AbsMean},
	}
	for _, p := range pairs {
		d := math.Abs(p.g-p.w) / scale
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		worst = math.Max(worst, d)
		if d > tol {
			bad = append(bad, fmt.Sprintf("%s %.6g vs golden %.6g (%.3g std)", p.name, p.g, p.w, d))
		}
	}
	return worst, bad
}
