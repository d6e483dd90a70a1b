package mapping

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

// referenceArchs supply RULES.md's examples: the TI2V-5B release, plus a
// shared_pos umt5-xxl for the rule the release does not use, the A14B
// releases' Wan2.1 VAE and one with attention in its levels.
var referenceArchs = map[Component][]Arch{
	ComponentDiT: {&DiTArch{ModelType: "ti2v", PatchSize: []int{1, 2, 2}, TextLen: 512, InDim: 48, Dim: 3072,
		FFNDim: 14336, FreqDim: 256, TextDim: 4096, OutDim: 48, NumHeads: 24, NumLayers: 30,
		WindowSize: []int{-1, -1}, QKNorm: true, CrossAttnNorm: true, Eps: 1e-6}},
	ComponentT5: {
		&T5Arch{Vocab: 256384, Dim: 4096, DimAttn: 4096, DimFFN: 10240, NumHeads: 64, NumLayers: 24, NumBuckets: 32},
		&T5Arch{Vocab: 256384, Dim: 4096, DimAttn: 4096, DimFFN: 10240, NumHeads: 64, NumLayers: 24, NumBuckets: 32, SharedPos: true},
	},
	ComponentVAE: {&VAEArch{Dim: 160, DecDim: 256, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
		TemperalDownsample: []bool{false, true, true}, TemperalUpsample: []bool{true, true, false}},
		&upstreamVAE21,
		&VAE21Arch{Dim: 96, ZDim: 16, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2, AttnScales: []float64{1},
			TemperalDownsample: []bool{false, true, true}},
	},
}

// upstreamVAE21 is _video_vae's configuration in wan/modules/vae2_1.py.
var upstreamVAE21 = VAE21Arch{Dim: 96, ZDim: 16, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2, AttnScales: []float64{},
	TemperalDownsample: []bool{false, true, true}}

// familyArchs are the reference architectures of the table family of rs.
func familyArchs(rs *ruleSet) []Arch {
	var out []Arch
	for _, a := range referenceArchs[rs.component] {
		if archFamily(a) == rs.family {
			out = append(out, a)
		}
	}
	return out
}

const rulesDoc = "RULES.md"

var componentTitles = map[Component]string{
	ComponentDiT: "DiT (`wan/modules/model.py` WanModel)",
	ComponentT5:  "T5 encoder (`wan/modules/t5.py` T5Encoder, umt5-xxl)",
	ComponentVAE: "VAE (`wan/modules/vae2_2.py` WanVAE_)",
}

// familyTitles title the further tables of a component.
var familyTitles = map[string]string{
	familyVAE21: "VAE, Wan2.1 (`wan/modules/vae2_1.py` WanVAE_, the A14B releases)",
}

func tableTitle(rs *ruleSet) string {
	if rs.family != "" {
		return familyTitles[rs.family]
	}
	return componentTitles[rs.component]
}

// layoutIntros introduce each layout's section of RULES.md.
var layoutIntros = map[Layout]string{
	LayoutWanconv: `wanconv's own tree (the default): upstream names, with a ` + "`layers`" + ` segment inserted into every
` + "`nn.Sequential`" + ` child: in every name, a segment naming a Sequential container that is followed by an index
segment gets ` + "`layers`" + ` after it (` + "`ffn.0`" + ` → ` + "`ffn.layers.0`" + `, but ` + "`ffn0.0`" + ` and ` + "`ffn.weight`" + ` stay).
`,
	LayoutMLXVideo: `The names Blaizzy/mlx-video's Wan2.2 modules (` + "`mlx_video/models/wan_2`" + `: WanModel, T5Encoder,
Wan22VAEEncoder/Decoder) load. The rules classify the same PyTorch tensors as in the wanconv layout; the names
change only by the renames listed per component, each replacing a run of whole dotted segments wherever it
occurs (` + "`ffn.0`" + ` → ` + "`ffn.fc1`" + ` changes ` + "`blocks.3.ffn.0.weight`" + `, not ` + "`blocks.3.ffn.01.weight`" + `). The DiT's patch
embedding becomes the Linear weight mlx-video applies to flattened patches; the VAE convs are channels-last as
in the wanconv layout. The Wan2.1 VAE keeps its upstream names and gamma shapes: mlx-video's Wan2.1 VAE modules
mirror the upstream key tree, and its ` + "`sanitize_wan_vae_weights`" + ` only moves the 4- and 5-dimensional conv weights
to channels-last.
`,
}

// renderRules writes RULES.md from the tables, with the first tensor of a
// reference architecture that each rule matches as its example.
func renderRules(t *testing.T) string {
	var b strings.Builder
	b.WriteString(`# Conversion rules

Generated from the rule tables in ` + "`rules_*.go`" + ` by ` + "`WANCONV_UPDATE_RULES=1 go test ./mapping -run TestRulesDoc`" + `;
` + "`TestRulesDoc`" + ` fails when this file and the code disagree. Examples are tensors of the TI2V-5B release
(and a shared_pos umt5-xxl for the one rule it does not use) and, for the Wan2.1 VAE, of the A14B releases (and
one with attn_scales [1] for the attention rules they do not use).

The VAE has two tables: the Wan2.2 VAE's (TI2V-5B) and the Wan2.1 VAE's (T2V-A14B, I2V-A14B). A tensor set is
read by the table whose patterns claim the most of its names: nested ` + "`encoder.downsamples.N.downsamples.M`" + `
levels are Wan2.2's, a flat ` + "`encoder.downsamples.N`" + ` list is Wan2.1's.

Every PyTorch tensor of a component must match exactly one rule. Patterns match whole dotted segments:
` + "`#`" + ` is an index (0, 1, 12: no sign, no leading zero), ` + "`*`" + ` any one segment, ` + "`a|b`" + ` one of the literals.
A layout says how the matched tensors are named and shaped in the converted checkpoint: ` + "`wanconv`" + ` (the
default) or ` + "`mlx-video`" + ` (` + "`wanconv --layout`" + `).

Transforms:
- ` + "`identity`" + `: name as renamed, shape and bytes unchanged.
- ` + "`conv-channels-last`" + `: axis 1 (input channels) moves to the end: Conv3d (O,I,kT,kH,kW) → (O,kT,kH,kW,I),
  Conv2d (O,I,kH,kW) → (O,kH,kW,I).
- ` + "`squeeze-gamma`" + `: RMS-norm gamma (C,1,1[,1]) → (C,); bytes unchanged.
- ` + "`flatten-patch`" + `: Conv3d patch embedding (O,I,kT,kH,kW) → Linear (O, I·kT·kH·kW); bytes unchanged. Read
  back with the patch size of config.json (` + "`patch_size`" + `, (1, 2, 2) when absent).

The source rank column is what the rule's tensors have in PyTorch (– when not fixed); it restores the unit axes
of a squeezed gamma when a converted checkpoint is read back.
`)
	for _, l := range Layouts {
		fmt.Fprintf(&b, "\n## Layout `%s`\n\n%s", l, layoutIntros[l])
		for _, c := range Components {
			for fi, tb := range append([]table{layoutTables[l][c]}, familyTables[l][c]...) {
				renderTable(t, &b, compiledFamilies[l][c][fi], tb)
			}
		}
	}
	return b.String()
}

func renderTable(t *testing.T, b *strings.Builder, rs *ruleSet, tb table) {
	fmt.Fprintf(b, "\n### %s\n\n", tableTitle(rs))
	if len(tb.containers) > 0 {
		fmt.Fprintf(b, "Sequential containers: %s\n\n", "`"+strings.Join(tb.containers, "`, `")+"`")
	}
	if len(tb.renames) > 0 {
		var rn []string
		for _, r := range tb.renames {
			rn = append(rn, fmt.Sprintf("`%s` → `%s`", r.From, r.To))
		}
		fmt.Fprintf(b, "Renames: %s\n\n", strings.Join(rn, ", "))
	}
	b.WriteString("| # | Pattern (PyTorch) | Transform | Source rank | Covers | Example |\n")
	b.WriteString("|---|---|---|---|---|---|\n")
	for i, r := range tb.rules {
		rank := "–"
		if r.Rank > 0 {
			rank = fmt.Sprint(r.Rank)
		}
		fmt.Fprintf(b, "| %d | `%s` | %s | %s | %s | %s |\n", i+1, strings.ReplaceAll(r.Pattern, "|", `\|`), r.Transform, rank, r.Doc, ruleExample(t, rs, i))
	}
}

func ruleExample(t *testing.T, rs *ruleSet, ri int) string {
	// Prefer a weight: it shows the transform best.
	for _, suffix := range []string{".weight", ""} {
		for _, a := range familyArchs(rs) {
			for _, src := range a.RequiredTorch() {
				if m := rs.matches(src.Name); len(m) == 1 && m[0] == ri && strings.HasSuffix(src.Name, suffix) {
					return exampleCell(t, rs, a, src)
				}
			}
		}
	}
	t.Fatalf("%s %s %s rule %d (%s) has no example", rs.layout, rs.component, rs.family, ri+1, rs.rules[ri].Pattern)
	return ""
}

// exampleCell converts src as a full plan of its architecture does.
func exampleCell(t *testing.T, rs *ruleSet, a Arch, src tensor.Info) string {
	plan, err := PlanLayout(rs.layout, rs.component, withDType(a.RequiredTorch(), tensor.F32), nil)
	require.NoError(t, err)
	target := rs.toMLX(src.Name)
	for _, e := range plan.Entries {
		if e.Target == target {
			return fmt.Sprintf("`%s` %s → `%s` %s", src.Name, tensor.ShapeString(src.Shape), e.Target, tensor.ShapeString(e.OutShape))
		}
	}
	t.Fatalf("the plan of %s has no %s", src.Name, target)
	return ""
}

// TestRulesDoc checks RULES.md agrees with the rule tables (and rewrites it
// when WANCONV_UPDATE_RULES=1).
func TestRulesDoc(t *testing.T) {
	want := renderRules(t)
	if os.Getenv("WANCONV_UPDATE_RULES") == "1" {
		require.NoError(t, os.WriteFile(rulesDoc, []byte(want), 0o644))
	}
	got, err := os.ReadFile(rulesDoc)
	require.NoError(t, err, "run WANCONV_UPDATE_RULES=1 go test ./mapping -run TestRulesDoc")
	require.Equal(t, want, string(got), "RULES.md is stale: run WANCONV_UPDATE_RULES=1 go test ./mapping -run TestRulesDoc")
}

// TestRulesDocExamplesParse re-reads the examples of RULES.md and checks each
// against the code independently of the renderer.
func TestRulesDocExamplesParse(t *testing.T) {
	data, err := os.ReadFile(rulesDoc)
	require.NoError(t, err)
	var layout Layout
	var comp Component
	var arch Arch // set for a family table
	n := map[Layout]int{}
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "## Layout `"):
			l, err := ParseLayout(strings.Trim(strings.TrimPrefix(line, "## Layout "), "`"))
			require.NoError(t, err, line)
			layout = l
		case strings.HasPrefix(line, "### DiT"):
			comp, arch = ComponentDiT, nil
		case strings.HasPrefix(line, "### T5"):
			comp, arch = ComponentT5, nil
		case strings.HasPrefix(line, "### VAE, Wan2.1"):
			comp, arch = ComponentVAE, &upstreamVAE21
		case strings.HasPrefix(line, "### VAE"):
			comp, arch = ComponentVAE, nil
		}
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| #") {
			continue
		}
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|")
		for i := range cells {
			cells[i] = strings.ReplaceAll(cells[i], "\x00", "|")
		}
		example := strings.Split(cells[6], "`")
		require.Len(t, example, 5, line)
		src, target := example[1], example[3]
		rs := compiledLayouts[layout][comp]
		if arch != nil {
			require.Equal(t, target, TargetNameArch(layout, arch, src), line)
			require.Equal(t, src, SourceNameArch(layout, arch, target), line)
			rs, err = rulesForArch(layout, arch)
			require.NoError(t, err)
		} else {
			require.Equal(t, target, TargetNameLayout(layout, comp, src), line)
			require.Equal(t, src, SourceNameLayout(layout, comp, target), line)
		}
		m := rs.matches(src)
		require.Len(t, m, 1, line)
		require.Equal(t, strings.Trim(cells[2], " `"), rs.rules[m[0]].Pattern, line)
		require.Equal(t, strings.TrimSpace(cells[3]), rs.rules[m[0]].Transform.String(), line)
		n[layout]++
	}
	for _, l := range Layouts {
		want := 0
		for _, c := range Components {
			want += len(layoutTables[l][c].rules)
			for _, ft := range familyTables[l][c] {
				want += len(ft.rules)
			}
		}
		require.Equal(t, want, n[l], l)
	}
}
