// Package weights holds what the model packages (dit, t5, vae) share about
// weight lists: the name-and-shape description of one required tensor, the
// parameter count of a list, the check of loaded tensors against it, and a
// rank-checked shape lookup for architecture inference. It is pure Go and
// builds without MLX.
package weights

import (
	"fmt"
	"slices"
	"sort"
)

// Spec names one tensor a network needs and its shape (MLX names and
// layouts).
type Spec struct {
	Name  string
	Shape []int
}

// ParamCount is the number of parameters of specs: the sum over the
// products of their shapes.
func ParamCount(specs []Spec) int64 {
	var n int64
	for _, s := range specs {
		p := int64(1)
		for _, d := range s.Shape {
			p *= int64(d)
		}
		n += p
	}
	return n
}

// Check compares the tensors at hand (every name in names; shape tells a
// tensor's shape, ok false when it has none) with specs. It returns one line
// per problem, nil when the sets match exactly: first, in the order of specs,
// "missing tensor NAME (want shape S)" and "tensor NAME has shape G, want S";
// then, sorted by name, "unexpected tensor NAME" for every name not in specs.
func Check(specs []Spec, names []string, shape func(name string) ([]int, bool)) []string {
	var problems []string
	want := make(map[string]bool, len(specs))
	for _, s := range specs {
		want[s.Name] = true
		got, ok := shape(s.Name)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing tensor %s (want shape %v)", s.Name, s.Shape))
		case !slices.Equal(got, s.Shape):
			problems = append(problems, fmt.Sprintf("tensor %s has shape %v, want %v", s.Name, got, s.Shape))
		}
	}
	var extra []string
	for _, name := range names {
		if !want[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		problems = append(problems, fmt.Sprintf("unexpected tensor %s", name))
	}
	return problems
}

// CheckMap is Check for tensors given as a name → shape map.
func CheckMap(specs []Spec, shapes map[string][]int) []string {
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	return Check(specs, names, func(name string) ([]int, bool) {
		s, ok := shapes[name]
		return s, ok
	})
}

// WithRank returns the shape of the named tensor when it is present with the
// given rank; otherwise an error "missing tensor NAME" or "tensor NAME has
// shape S, want rank R".
func WithRank(shapes map[string][]int, name string, rank int) ([]int, error) {
	s, ok := shapes[name]
	if !ok {
		return nil, fmt.Errorf("missing tensor %s", name)
	}
	if len(s) != rank {
		return nil, fmt.Errorf("tensor %s has shape %v, want rank %d", name, s, rank)
	}
	return s, nil
}
