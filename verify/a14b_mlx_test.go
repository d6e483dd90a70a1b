//go:build mlx

package verify

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// convertA14B converts a tiny A14B release (dtype "" = the default policy)
// in a layout into a temp dir.
func convertA14B(t *testing.T, k golden.A14B, dtype, layoutName string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: golden.TinyA14BRelease(k), OutDir: out, DType: dtype, Layout: layoutName, Quiet: true})
	require.NoError(t, err)
	return out
}

// a14bUnits are the reports of an A14B directory, in verification order.
var a14bUnits = []string{"dit high_noise_model", "dit low_noise_model", "t5", "vae"}

// TestReferenceA14B: both tiny A14B releases, converted in both layouts
// with float32 and with the default dtypes (bfloat16 DiT and T5, float32
// VAE), verify against the upstream reference in its A14B format: each
// expert with its own timestep (and I2V's y), the T5, the Wan2.1 VAE's
// latent, round trip and decode, within 1e-4 of std(ref) for float32
// weights and 2e-2 for bfloat16. The DiT is block-streamed in one of each
// pair (--stream-dit on), in memory in the other.
func TestReferenceA14B(t *testing.T) {
	for _, k := range []golden.A14B{golden.T2VA14B, golden.I2VA14B} {
		for _, layoutName := range []string{"wanconv", "mlx-video"} {
			for _, c := range []struct {
				dtype, stream string
				tol           map[string]float64
			}{
				{"float32", "off", map[string]float64{"dit": 1e-4, "t5": 1e-4, "vae": 1e-4}},
				{"", "on", map[string]float64{"dit": 2e-2, "t5": 2e-2, "vae": 1e-4}},
			} {
				out := convertA14B(t, k, c.dtype, layoutName)
				code, rep := verifyJSON(t, Options{Dir: out, Reference: golden.TinyA14BReference(k), StreamDiT: c.stream})
				require.Equal(t, ExitPass, code, "%s %s %q: %v %s", k, layoutName, c.dtype, rep.Problems, rep.Error)
				names := make([]string, len(rep.Components))
				for i, r := range rep.Components {
					names[i] = r.unit().String()
				}
				require.Equal(t, a14bUnits, names)
				errs := referenceErrors(rep)
				want := []string{"dit.high_noise_model.output", "dit.low_noise_model.output", "t5.output",
					"vae.latent", "vae.video", "vae.video_from_ref_latent"}
				require.Len(t, errs, len(want), "%v", errs)
				for _, name := range want {
					e, ok := errs[name]
					require.True(t, ok, name)
					component, _, _ := strings.Cut(name, ".")
					require.LessOrEqual(t, e, c.tol[component], "%s %s %q %s", k, layoutName, c.dtype, name)
					t.Logf("%s %-9s %-8s weights, stream %-3s: %-28s max|err|/std(ref) = %.3e", k, layoutName, label(c.dtype), c.stream, name, e)
				}
				for _, r := range rep.Components[:2] {
					require.Equal(t, layoutName, r.Layout)
					streamed := false
					for _, ch := range r.Checks {
						streamed = streamed || ch.Name == "forward.streamed"
					}
					require.Equal(t, c.stream == "on", streamed, r.unit().String())
				}
			}
		}
	}
}

func label(dtype string) string {
	if dtype == "" {
		return "default"
	}
	return dtype
}

// TestShippedA14BGolden: the default conversion of each tiny A14B release
// passes its shipped golden file (both experts' counts, architecture and
// forward statistics, the T5's and the Wan2.1 VAE's), in both layouts.
func TestShippedA14BGolden(t *testing.T) {
	for _, k := range []golden.A14B{golden.T2VA14B, golden.I2VA14B} {
		for _, layoutName := range []string{"wanconv", "mlx-video"} {
			out := convertA14B(t, k, "", layoutName)
			code, rep := verifyJSON(t, Options{Dir: out, GoldenPath: golden.TinyA14BGolden(k)})
			require.Equal(t, ExitPass, code, "%s %s: %v %s", k, layoutName, rep.Problems, rep.Error)
			require.Len(t, rep.Components, 4)
			for _, c := range rep.Components {
				require.NotNil(t, c.Forward, c.unit().String())
				require.NotNil(t, c.Forward.WorstDeviation, c.unit().String())
				require.Less(t, *c.Forward.WorstDeviation, 1e-3, "%s %s %s", k, layoutName, c.unit())
			}
		}
	}
}

// TestA14BWrongReference: an A14B directory verified against the
// single-model reference, or the tiny TI2V-5B one against an A14B
// reference, is an error naming the missing tensor, not a silent pass.
func TestA14BWrongReference(t *testing.T) {
	out := convertA14B(t, golden.T2VA14B, "float32", "wanconv")
	code, rep := verifyJSON(t, Options{Dir: out, Reference: golden.TinyReference(), Components: []mapping.Component{mapping.ComponentDiT}})
	require.Equal(t, ExitMismatch, code)
	require.Contains(t, rep.Problems[0], `tensor "high.input.t" missing`)

	code, rep = verifyJSON(t, Options{Dir: convertTiny(t, "float32"), Reference: golden.TinyA14BReference(golden.T2VA14B), Components: []mapping.Component{mapping.ComponentDiT}})
	require.Equal(t, ExitMismatch, code)
	require.Contains(t, rep.Problems[0], `tensor "dit.input.t" missing`)

	// One expert alone.
	code, rep = verifyJSON(t, Options{Dir: out, Reference: golden.TinyA14BReference(golden.T2VA14B), Components: []mapping.Component{mapping.ComponentDiT}, Experts: []layout.Expert{layout.ExpertLow}})
	require.Equal(t, ExitPass, code, rep.Problems)
	require.Len(t, rep.Components, 1)
	require.Equal(t, unit{mapping.ComponentDiT, layout.ExpertLow}, rep.Components[0].unit())
}
