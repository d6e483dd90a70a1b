package mapping

import (
	"fmt"
	"strings"
)

// Rule classifies the PyTorch tensors whose names match Pattern (see the
// pattern syntax in pattern.go: "#" an index, "*" any segment, "a|b" one of
// the literals) and says how each is converted. Every tensor of a component
// must match exactly one rule of its table.
type Rule struct {
	Pattern   string
	Transform Transform
	// Rank is the rank the source tensor has (0: not fixed by the rule). It
	// is how a squeezed gamma's unit axes are restored when reading a
	// converted checkpoint back.
	Rank int
	// What the rule covers, for RULES.md.
	Doc string
}

// table is one component's renames and rules.
type table struct {
	// containers are the nn.Sequential attribute names: a container segment
	// followed by an index segment gets a "layers" segment in between.
	containers []string
	// renames replace whole dotted segment runs, after the containers got
	// their "layers" segments (see rename.go).
	renames []Rename
	rules   []Rule
	// family tells apart the tables of one component whose architectures
	// have different tensor trees ("" for the primary table; familyVAE21 for
	// the Wan2.1 VAE next to the Wan2.2 one).
	family string
}

// tables are the wanconv layout's tables.
var tables = map[Component]table{
	ComponentDiT: ditTable,
	ComponentT5:  t5Table,
	ComponentVAE: vaeTable,
}

// layoutTables holds the tables of every layout.
var layoutTables = map[Layout]map[Component]table{
	LayoutWanconv:  tables,
	LayoutMLXVideo: mlxVideoTables,
}

// familyTables are the further tables of a component, per layout: the
// architectures of the same component whose tensor trees the primary table
// does not describe (the Wan2.1 VAE).
var familyTables = map[Layout]map[Component][]table{
	LayoutWanconv:  {ComponentVAE: {vae21Table}},
	LayoutMLXVideo: {ComponentVAE: {mlxVideoVAE21Table}},
}

// ruleSet is a compiled table.
type ruleSet struct {
	layout     Layout
	component  Component
	family     string
	containers map[string]bool
	renames    []compiledRename
	rules      []Rule
	patterns   []pattern
}

func compileTable(l Layout, c Component, t table) *ruleSet {
	rs := &ruleSet{layout: l, component: c, family: t.family, containers: map[string]bool{}, rules: t.rules}
	for _, s := range t.containers {
		rs.containers[s] = true
	}
	for _, r := range t.renames {
		rs.renames = append(rs.renames, compileRename(r))
	}
	for _, r := range t.rules {
		rs.patterns = append(rs.patterns, compilePattern(r.Pattern))
	}
	return rs
}

// compiledFamilies holds every compiled table of a component in a layout,
// the primary one first.
var compiledFamilies = func() map[Layout]map[Component][]*ruleSet {
	out := make(map[Layout]map[Component][]*ruleSet, len(layoutTables))
	for l, ts := range layoutTables {
		m := make(map[Component][]*ruleSet, len(ts))
		for c, t := range ts {
			m[c] = []*ruleSet{compileTable(l, c, t)}
			for _, ft := range familyTables[l][c] {
				m[c] = append(m[c], compileTable(l, c, ft))
			}
		}
		out[l] = m
	}
	return out
}()

// compiledLayouts are the primary compiled tables.
var compiledLayouts = func() map[Layout]map[Component]*ruleSet {
	out := make(map[Layout]map[Component]*ruleSet, len(compiledFamilies))
	for l, m := range compiledFamilies {
		out[l] = make(map[Component]*ruleSet, len(m))
		for c, sets := range m {
			out[l][c] = sets[0]
		}
	}
	return out
}()

// compiledRules are the wanconv layout's compiled tables.
var compiledRules = compiledLayouts[LayoutWanconv]

func rulesFor(c Component) (*ruleSet, error) { return rulesForLayout(LayoutWanconv, c) }

func rulesForLayout(l Layout, c Component) (*ruleSet, error) {
	m, ok := compiledLayouts[l]
	if !ok {
		return nil, fmt.Errorf("unknown layout %q", l)
	}
	rs, ok := m[c]
	if !ok {
		return nil, fmt.Errorf("unknown component %q", c)
	}
	return rs, nil
}

// Rules returns a copy of the rule table of c (nil for an unknown component).
func Rules(c Component) []Rule {
	return append([]Rule(nil), tables[c].rules...)
}

// SequentialContainers returns the nn.Sequential attribute names of c whose
// children are renamed to "layers.N".
func SequentialContainers(c Component) []string {
	return append([]string(nil), tables[c].containers...)
}

// matches returns the indices of the rules matching a PyTorch name.
func (rs *ruleSet) matches(name string) []int {
	segs := strings.Split(name, ".")
	var idx []int
	for i, p := range rs.patterns {
		if p.match(segs) {
			idx = append(idx, i)
		}
	}
	return idx
}

// toMLX inserts "layers" after every container segment that is followed by
// an index segment, then applies the renames.
func (rs *ruleSet) toMLX(name string) string {
	segs := strings.Split(name, ".")
	out := make([]string, 0, len(segs)+2)
	for i, s := range segs {
		out = append(out, s)
		if rs.containers[s] && i+1 < len(segs) && isIndex(segs[i+1]) {
			out = append(out, "layers")
		}
	}
	return strings.Join(applyRenames(rs.renames, out, false), ".")
}

// fromMLX undoes the renames and removes the "layers" segments toMLX
// inserts.
func (rs *ruleSet) fromMLX(name string) string {
	segs := applyRenames(rs.renames, strings.Split(name, "."), true)
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		if s == "layers" && i > 0 && rs.containers[segs[i-1]] && i+1 < len(segs) && isIndex(segs[i+1]) {
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, ".")
}

// TargetName returns the MLX name of a PyTorch tensor name of component c.
func TargetName(c Component, torchName string) string {
	rs, err := rulesFor(c)
	if err != nil {
		return torchName
	}
	return rs.toMLX(torchName)
}

// SourceName returns the PyTorch name of an MLX tensor name of component c.
func SourceName(c Component, mlxName string) string {
	rs, err := rulesFor(c)
	if err != nil {
		return mlxName
	}
	return rs.fromMLX(mlxName)
}
