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
// shared_pos umt5-xxl for the rule the release does not use.
var referenceArchs = map[Component][]Arch{
	ComponentDiT: {&DiTArch{ModelType: "ti2v", PatchSize: []int{1, 2, 2}, TextLen: 512, InDim: 48, Dim: 3072,
		FFNDim: 14336, FreqDim: 256, TextDim: 4096, OutDim: 48, NumHeads: 24, NumLayers: 30,
		WindowSize: []int{-1, -1}, QKNorm: true, CrossAttnNorm: true, Eps: 1e-6}},
	ComponentT5: {
		&T5Arch{Vocab: 256384, Dim: 4096, DimAttn: 4096, DimFFN: 10240, NumHeads: 64, NumLayers: 24, NumBuckets: 32},
		&T5Arch{Vocab: 256384, Dim: 4096, DimAttn: 4096, DimFFN: 10240, NumHeads: 64, NumLayers: 24, NumBuckets: 32, SharedPos: true},
	},
	ComponentVAE: {&VAEArch{Dim: 160, DecDim: 256, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
		TemperalDownsample: []bool{false, true, true}, TemperalUpsample: []bool{true, true, false}}},
}

const rulesDoc = "RULES.md"

var componentTitles = map[Component]string{
	ComponentDiT: "DiT (`wan/modules/model.py` WanModel)",
	ComponentT5:  "T5 encoder (`wan/modules/t5.py` T5Encoder, umt5-xxl)",
	ComponentVAE: "VAE (`wan/modules/vae2_2.py` WanVAE_)",
}

// renderRules writes RULES.md from the tables, with the first tensor of a
// reference architecture that each rule matches as its example.
func renderRules(t *testing.T) string {
	var b strings.Builder
	b.WriteString(`# Conversion rules

Generated from the rule tables in ` + "`rules_*.go`" + ` by ` + "`WANCONV_UPDATE_RULES=1 go test ./mapping -run TestRulesDoc`" + `;
` + "`TestRulesDoc`" + ` fails when this file and the code disagree. Examples are tensors of the TI2V-5B release
(and a shared_pos umt5-xxl for the one rule it does not use).

Every PyTorch tensor of a component must match exactly one rule. Patterns match whole dotted segments:
` + "`#`" + ` is an index (0, 1, 12: no sign, no leading zero), ` + "`*`" + ` any one segment, ` + "`a|b`" + ` one of the literals.

Renames: in every name, a segment naming an ` + "`nn.Sequential`" + ` container that is followed by an index segment
gets a ` + "`layers`" + ` segment inserted after it (` + "`ffn.0`" + ` → ` + "`ffn.layers.0`" + `, but ` + "`ffn0.0`" + ` and ` + "`ffn.weight`" + ` stay).

Transforms:
- ` + "`identity`" + `: name as renamed, shape and bytes unchanged.
- ` + "`conv-channels-last`" + `: axis 1 (input channels) moves to the end: Conv3d (O,I,kT,kH,kW) → (O,kT,kH,kW,I),
  Conv2d (O,I,kH,kW) → (O,kH,kW,I).
- ` + "`squeeze-gamma`" + `: RMS-norm gamma (C,1,1[,1]) → (C,); bytes unchanged.

The source rank column is what the rule's tensors have in PyTorch (– when not fixed); it restores the unit axes
of a squeezed gamma when a converted checkpoint is read back.
`)
	for _, c := range Components {
		rs := compiledRules[c]
		fmt.Fprintf(&b, "\n## %s\n\nSequential containers: %s\n\n", componentTitles[c], "`"+strings.Join(tables[c].containers, "`, `")+"`")
		b.WriteString("| # | Pattern (PyTorch) | Transform | Source rank | Covers | Example |\n")
		b.WriteString("|---|---|---|---|---|---|\n")
		for i, r := range rs.rules {
			rank := "–"
			if r.Rank > 0 {
				rank = fmt.Sprint(r.Rank)
			}
			fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %s | %s |\n", i+1, strings.ReplaceAll(r.Pattern, "|", `\|`), r.Transform, rank, r.Doc, ruleExample(t, c, i))
		}
	}
	return b.String()
}

func ruleExample(t *testing.T, c Component, ri int) string {
	rs := compiledRules[c]
	// Prefer a weight: it shows the transform best.
	for _, suffix := range []string{".weight", ""} {
		for _, a := range referenceArchs[c] {
			for _, src := range a.RequiredTorch() {
				if m := rs.matches(src.Name); len(m) == 1 && m[0] == ri && strings.HasSuffix(src.Name, suffix) {
					return exampleCell(t, c, src)
				}
			}
		}
	}
	t.Fatalf("%s rule %d (%s) has no example", c, ri+1, rs.rules[ri].Pattern)
	return ""
}

func exampleCell(t *testing.T, c Component, src tensor.Info) string {
	plan, err := PlanComponent(c, []tensor.Info{src}, nil)
	// A one-tensor source is incomplete; the entry is what matters here.
	require.NotNil(t, plan, "%v", err)
	require.Len(t, plan.Entries, 1)
	e := plan.Entries[0]
	return fmt.Sprintf("`%s` %s → `%s` %s", src.Name, tensor.ShapeString(src.Shape), e.Target, tensor.ShapeString(e.OutShape))
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
	var comp Component
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "## DiT"):
			comp = ComponentDiT
		case strings.HasPrefix(line, "## T5"):
			comp = ComponentT5
		case strings.HasPrefix(line, "## VAE"):
			comp = ComponentVAE
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
		require.Equal(t, target, TargetName(comp, src), line)
		m := compiledRules[comp].matches(src)
		require.Len(t, m, 1, line)
		require.Equal(t, strings.Trim(cells[2], " `"), compiledRules[comp].rules[m[0]].Pattern, line)
		require.Equal(t, strings.TrimSpace(cells[3]), compiledRules[comp].rules[m[0]].Transform.String(), line)
		n++
	}
	require.Equal(t, len(ditTable.rules)+len(t5Table.rules)+len(vaeTable.rules), n)
}
