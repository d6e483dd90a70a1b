//go:build mlx

package verify

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
)

// TestQuantizedForward: a quantized DiT runs through MLX's quantized
// matmul in either layout; with --reference the report gives its error,
// the same checkpoint's with the Linears dequantized (equal: the error is
// the quantization's), and the quantized run against the dequantized one
// (float32 rounding: the kernel adds nothing). Against the dense golden
// file, 4-bit statistics pass within tolStatsQuantized4.
func TestQuantizedForward(t *testing.T) {
	for _, c := range []struct {
		layout      string
		bits, group int
		lo, hi      float64 // measured max|err|/std(ref) bracket
	}{
		{"wanconv", 8, 64, 2e-2, 4e-2},
		{"wanconv", 4, 64, 0.2, 0.4},
		{"mlx-video", 4, 128, 0.2, 0.4},
	} {
		out := convertTinyQuantized(t, c.layout, c.bits, c.group)
		o := Options{Dir: out, JSON: true, Components: []mapping.Component{mapping.ComponentDiT}, Reference: golden.TinyReference()}
		if c.layout == "wanconv" {
			o.GoldenPath = golden.TinyGolden()
		}
		code, stdout, stderr := runVerify(t, o)
		require.Equal(t, ExitPass, code, stdout+stderr)
		comp := reportOf(t, stdout).Components[0]
		q, d, k := comp.Reference["output"], comp.Reference["output.dequantized"], comp.Reference["output.quantized_vs_dequantized"]
		require.NotNil(t, q)
		require.NotNil(t, d)
		require.NotNil(t, k)
		t.Logf("%s %d-bit group %d: quantized %.3g, dequantized %.3g, quantized vs dequantized %.3g (tolerance %.0e)",
			c.layout, c.bits, c.group, q.RelErr, d.RelErr, k.RelErr, q.Tolerance)
		require.Equal(t, quantizedTolerance(c.bits), q.Tolerance)
		require.Greater(t, q.RelErr, c.lo)
		require.Less(t, q.RelErr, c.hi)
		require.InDelta(t, q.RelErr, d.RelErr, 1e-4)
		require.Less(t, k.RelErr, 1e-4)
		for _, name := range []string{"reference.output", "reference.output.dequantized", "reference.output.kernel"} {
			require.True(t, checkNamed(t, comp, name).Passed, name)
		}
		if c.layout == "wanconv" {
			require.True(t, checkNamed(t, comp, "forward.output.golden").Passed)
		}
	}
}

// TestQuantizedStreamedAndA14B: block-streamed (--stream-dit on) a
// quantized DiT gives the in-memory run's errors; both experts of a
// quantized I2V-A14B release pass against its upstream reference, the
// dequantized run beside each.
func TestQuantizedStreamedAndA14B(t *testing.T) {
	out := convertTinyQuantized(t, "mlx-video", 8, 64)
	rel := map[string]float64{}
	for _, stream := range []string{"off", "on"} {
		code, stdout, stderr := runVerify(t, Options{Dir: out, JSON: true, Components: []mapping.Component{mapping.ComponentDiT}, StreamDiT: stream, Reference: golden.TinyReference()})
		require.Equal(t, ExitPass, code, stdout+stderr)
		comp := reportOf(t, stdout).Components[0]
		rel[stream] = comp.Reference["output"].RelErr
		require.Less(t, comp.Reference["output.quantized_vs_dequantized"].RelErr, 1e-4, stream)
	}
	require.InDelta(t, rel["off"], rel["on"], 1e-6)
	require.InDelta(t, 0.0278, rel["on"], 1e-3)

	a14b := filepath.Join(t.TempDir(), "a14b")
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: golden.TinyA14BRelease(golden.I2VA14B), OutDir: a14b, Quiet: true, Quantize: 8})
	require.NoError(t, err)
	code, stdout, stderr := runVerify(t, Options{Dir: a14b, JSON: true, Components: []mapping.Component{mapping.ComponentDiT}, Reference: golden.TinyA14BReference(golden.I2VA14B)})
	require.Equal(t, ExitPass, code, stdout+stderr)
	for _, comp := range reportOf(t, stdout).Components {
		q, d, k := comp.Reference["output"], comp.Reference["output.dequantized"], comp.Reference["output.quantized_vs_dequantized"]
		t.Logf("i2v-A14B %s, 8-bit: quantized %.3g, dequantized %.3g, quantized vs dequantized %.3g", comp.Expert, q.RelErr, d.RelErr, k.RelErr)
		require.Greater(t, q.RelErr, 1e-3)
		require.InDelta(t, q.RelErr, d.RelErr, 1e-4)
		require.Less(t, k.RelErr, 1e-4)
	}
}
