package mapping

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/tensor"
)

// Entry is one planned output tensor.
type Entry struct {
	Source    tensor.Info // PyTorch name, dtype and shape as stored
	Target    string      // MLX name
	Transform Transform
	OutShape  []int64
}

// Plan converts one component: one entry per source tensor, sorted by Target.
type Plan struct {
	Layout    Layout
	Component Component
	Arch      Arch // *DiTArch, *T5Arch, *VAEArch or *VAE21Arch
	Entries   []Entry
}

// Infer dispatches to InferDiT, InferT5 or InferAnyVAE (a Wan2.2 or a
// Wan2.1 VAE, told apart by the tensor names); configJSON is used by the
// DiT only. On error the returned Arch is filled as far as possible (it
// is nil only for an unknown component).
func Infer(c Component, src []tensor.Info, configJSON []byte) (Arch, error) {
	switch c {
	case ComponentDiT:
		return InferDiT(src, configJSON)
	case ComponentT5:
		return InferT5(src)
	case ComponentVAE:
		return InferAnyVAE(src)
	}
	return nil, fmt.Errorf("unknown component %q", c)
}

// PlanComponent maps every PyTorch source tensor through the rule table of c
// and checks that the source set is exactly the set the inferred
// architecture requires. The error, a *PlanError, lists every unknown,
// ambiguous, unexpected, missing, duplicated or wrong-shaped tensor; with it
// the plan is still returned, filled as far as possible (Arch may be nil).
// The targets are in the wanconv layout; PlanLayout chooses another.
func PlanComponent(c Component, src []tensor.Info, ditConfig []byte) (*Plan, error) {
	return PlanLayout(LayoutWanconv, c, src, ditConfig)
}

// PlanLayout is PlanComponent with the targets named and shaped for layout l.
func PlanLayout(l Layout, c Component, src []tensor.Info, ditConfig []byte) (*Plan, error) {
	rs, err := rulesForTorch(l, c, src)
	if err != nil {
		return nil, err
	}
	plan := &Plan{Layout: l, Component: c}
	chk := newChecker(src)
	rule := chk.classify(func(name string) (int, *Problem) { return rs.classify(name) })

	var archOK bool
	plan.Arch, archOK = chk.infer(c, src, ditConfig)
	if archOK {
		chk.compare(plan.Arch.RequiredTorch())
	}

	targets := map[string]string{}
	for _, t := range chk.unique {
		ri, ok := rule[t.Name]
		if !ok {
			continue
		}
		r := rs.rules[ri]
		out, err := r.Transform.OutShape(t.Shape)
		if err != nil {
			if !chk.named[t.Name] { // else the completeness check already said why
				chk.add(ProblemShape, t.Name, err.Error())
			}
			continue
		}
		target := rs.toMLX(t.Name)
		if prev, dup := targets[target]; dup {
			chk.add(ProblemCollision, t.Name, fmt.Sprintf("maps to %s like %s", target, prev))
			continue
		}
		targets[target] = t.Name
		plan.Entries = append(plan.Entries, Entry{Source: t, Target: target, Transform: r.Transform, OutShape: out})
	}
	sort.Slice(plan.Entries, func(i, j int) bool { return plan.Entries[i].Target < plan.Entries[j].Target })
	return plan, chk.err(c)
}

// classify returns the index of the one rule matching a PyTorch name, or the
// problem with it.
func (rs *ruleSet) classify(name string) (int, *Problem) {
	m := rs.matches(name)
	switch len(m) {
	case 1:
		return m[0], nil
	case 0:
		return -1, &Problem{Kind: ProblemUnknown, Name: name, Detail: fmt.Sprintf("no %s rule matches this name", rs.component)}
	}
	pats := make([]string, len(m))
	for i, ri := range m {
		pats[i] = rs.rules[ri].Pattern
	}
	return -1, &Problem{Kind: ProblemAmbiguous, Name: name, Detail: "matched by rules " + strings.Join(pats, ", ")}
}

// checker accumulates problems of one source set.
type checker struct {
	unique   []tensor.Info // first occurrence of each name, in source order
	byName   map[string]tensor.Info
	flagged  map[string]bool // names already reported as unknown/ambiguous
	named    map[string]bool // names with any problem
	problems []Problem
}

func newChecker(src []tensor.Info) *checker {
	chk := &checker{byName: map[string]tensor.Info{}, flagged: map[string]bool{}, named: map[string]bool{}}
	counts := map[string]int{}
	for _, t := range src {
		counts[t.Name]++
		if counts[t.Name] == 1 {
			chk.unique = append(chk.unique, t)
			chk.byName[t.Name] = t
		}
	}
	for _, t := range chk.unique {
		if n := counts[t.Name]; n > 1 {
			chk.add(ProblemDuplicate, t.Name, fmt.Sprintf("occurs %d times", n))
		}
		if t.DType != tensor.Invalid && !t.DType.IsFloat() {
			chk.add(ProblemDType, t.Name, fmt.Sprintf("dtype %s is not a floating-point type", t.DType.Name()))
		}
	}
	return chk
}

func (chk *checker) add(kind ProblemKind, name, detail string) {
	chk.problems = append(chk.problems, Problem{Kind: kind, Name: name, Detail: detail})
	chk.named[name] = true
}

// classify runs fn over every unique name and returns the rule index of
// each name that matched exactly one rule.
func (chk *checker) classify(fn func(name string) (int, *Problem)) map[string]int {
	rule := make(map[string]int, len(chk.unique))
	for _, t := range chk.unique {
		ri, p := fn(t.Name)
		if p != nil {
			chk.problems = append(chk.problems, *p)
			chk.flagged[t.Name] = true
			continue
		}
		rule[t.Name] = ri
	}
	return rule
}

// infer runs architecture inference; ok is false when it found problems
// (they are recorded) so that no completeness check runs on a guess.
func (chk *checker) infer(c Component, torch []tensor.Info, config []byte) (Arch, bool) {
	arch, err := Infer(c, torch, config)
	if err == nil {
		return arch, true
	}
	var pe *PlanError
	if errors.As(err, &pe) {
		chk.problems = append(chk.problems, pe.Problems...)
	} else {
		chk.add(ProblemArch, "", err.Error())
	}
	return arch, false
}

// compare checks the source set against the required set (same naming).
func (chk *checker) compare(required []tensor.Info) {
	want := make(map[string][]int64, len(required))
	for _, r := range required {
		want[r.Name] = r.Shape
		got, ok := chk.byName[r.Name]
		switch {
		case !ok:
			chk.add(ProblemMissing, r.Name, "required with shape "+tensor.ShapeString(r.Shape))
		case !slices.Equal(got.Shape, r.Shape) && !chk.flagged[r.Name]:
			chk.add(ProblemShape, r.Name, fmt.Sprintf("has shape %s, the architecture requires %s",
				tensor.ShapeString(got.Shape), tensor.ShapeString(r.Shape)))
		}
	}
	for _, t := range chk.unique {
		if _, ok := want[t.Name]; !ok && !chk.flagged[t.Name] {
			chk.add(ProblemUnexpected, t.Name, "not part of the inferred architecture")
		}
	}
}

// err sorts the problems (architecture-level first, then by name) and
// wraps them in a *PlanError, or returns nil.
func (chk *checker) err(c Component) error {
	if len(chk.problems) == 0 {
		return nil
	}
	sort.SliceStable(chk.problems, func(i, j int) bool {
		return chk.problems[i].Name < chk.problems[j].Name
	})
	return &PlanError{Component: c, Problems: chk.problems}
}
