package mapping

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/tensor"
)

// Arch is an inferred architecture: *DiTArch, *T5Arch or *VAEArch.
type Arch interface {
	// Component says which network this is.
	Component() Component
	// RequiredTorch lists the PyTorch-named tensors (name, shape) the
	// architecture has, sorted by name. DType is left Invalid.
	RequiredTorch() []tensor.Info
	// RequiredMLX lists the converted tensors (MLX name, converted shape),
	// sorted by name. DType is left Invalid.
	RequiredMLX() []tensor.Info
}

// requiredMLX converts a required PyTorch list through the component's rules.
func requiredMLX(c Component, torch []tensor.Info) []tensor.Info {
	rs, err := rulesFor(c)
	if err != nil {
		return nil
	}
	return rs.required(torch)
}

// reqList accumulates a required tensor list.
type reqList []tensor.Info

func (r *reqList) add(name string, shape ...int) {
	s := make([]int64, len(shape))
	for i, d := range shape {
		s[i] = int64(d)
	}
	*r = append(*r, tensor.Info{Name: name, Shape: s})
}

func (r reqList) sorted() []tensor.Info {
	out := []tensor.Info(r)
	tensor.SortInfos(out)
	return out
}

// inventory indexes a source tensor list by name for inference.
type inventory struct {
	byName map[string]tensor.Info
	names  []string
}

func newInventory(src []tensor.Info) *inventory {
	inv := &inventory{byName: make(map[string]tensor.Info, len(src))}
	for _, t := range src {
		if _, dup := inv.byName[t.Name]; !dup {
			inv.byName[t.Name] = t
			inv.names = append(inv.names, t.Name)
		}
	}
	sort.Strings(inv.names)
	return inv
}

// find returns the first tensor (in name order) matching the pattern.
func (inv *inventory) find(pat string) (tensor.Info, bool) {
	if !strings.ContainsAny(pat, "#*|") {
		t, ok := inv.byName[pat]
		return t, ok
	}
	p := compilePattern(pat)
	for _, n := range inv.names {
		if p.match(strings.Split(n, ".")) {
			return inv.byName[n], true
		}
	}
	return tensor.Info{}, false
}

// has reports whether any tensor matches the pattern.
func (inv *inventory) has(pat string) bool {
	_, ok := inv.find(pat)
	return ok
}

// indices returns the sorted distinct index segments that follow prefix
// ("blocks" → 0..29 for the TI2V-5B DiT).
func (inv *inventory) indices(prefix string) []int {
	seen := map[int]bool{}
	for _, n := range inv.names {
		rest, ok := strings.CutPrefix(n, prefix+".")
		if !ok {
			continue
		}
		seg, _, _ := strings.Cut(rest, ".")
		if isIndex(seg) {
			seen[indexValue(seg)] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out
}

// count returns max index + 1 of indices(prefix), 0 when there are none.
// The count is bounded by the tensors actually present: every item (a
// transformer block, a stage) has at least perItem tensors named
// prefix.N.*, so an index beyond what the tensors under prefix can fill is
// reported rather than believed. A stray "blocks.99999999.x", or many
// tiny tensors each claiming a block of its own, then cannot make the
// required set (and the problem list) larger than the file's own tensor
// list.
func (f *inferer) count(prefix string, perItem int) int {
	idx := f.inv.indices(prefix)
	if len(idx) == 0 {
		return 0
	}
	n := idx[len(idx)-1] + 1
	under := 0
	for _, name := range f.inv.names {
		if strings.HasPrefix(name, prefix+".") {
			under++
		}
	}
	if n > under/perItem {
		f.fail("", "index %s.%d is beyond what the %d %s.* tensors present can hold (each needs at least %d)",
			prefix, n-1, under, prefix, perItem)
		return 0
	}
	return n
}

// inferer reads hyper-parameters off tensor shapes and collects problems.
type inferer struct {
	inv      *inventory
	problems []Problem
}

func (f *inferer) fail(name, format string, args ...any) {
	f.problems = append(f.problems, Problem{Kind: ProblemArch, Name: name, Detail: fmt.Sprintf(format, args...)})
}

// anchor names where a hyper-parameter can be read: axis of a tensor of the
// given rank whose name matches pat.
type anchor struct {
	pat        string
	rank, axis int
}

// dim reads a hyper-parameter from the first present anchor. It records a
// problem and returns 0 when no anchor is present or its rank is wrong.
func (f *inferer) dim(what string, anchors ...anchor) int {
	var names []string
	for _, a := range anchors {
		names = append(names, a.pat)
		t, ok := f.inv.find(a.pat)
		if !ok {
			continue
		}
		if len(t.Shape) != a.rank {
			f.fail(t.Name, "cannot infer %s: shape %s is not of rank %d", what, tensor.ShapeString(t.Shape), a.rank)
			return 0
		}
		if t.Shape[a.axis] <= 0 {
			f.fail(t.Name, "cannot infer %s: shape %s has a non-positive dimension", what, tensor.ShapeString(t.Shape))
			return 0
		}
		return int(t.Shape[a.axis])
	}
	f.fail("", "cannot infer %s: tensor %s is missing", what, strings.Join(names, " / "))
	return 0
}

// ratio returns a/b when b divides a, else records a problem.
func (f *inferer) ratio(what string, a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a%b != 0 {
		f.fail("", "cannot infer %s: %d is not a multiple of %d", what, a, b)
		return 0
	}
	return a / b
}

// err returns the collected problems as a *PlanError, or nil.
func (f *inferer) err(c Component) error {
	if len(f.problems) == 0 {
		return nil
	}
	return &PlanError{Component: c, Problems: f.problems}
}
