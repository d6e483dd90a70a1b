//go:build mlx

package verify

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
)

// verifyJSON runs the verifier on o with the JSON report and decodes it.
func verifyJSON(t *testing.T, o Options) (int, *Report) {
	t.Helper()
	o.JSON = true
	code, stdout, stderr := runVerify(t, o)
	var rep Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stderr)
	return code, &rep
}

func referenceErrors(rep *Report) map[string]float64 {
	out := map[string]float64{}
	for _, c := range rep.Components {
		unit := string(c.Name)
		if c.Expert != "" {
			unit += "." + string(c.Expert) // an A14B expert: dit.high_noise_model.output
		}
		for name, e := range c.Reference {
			out[unit+"."+name] = e.RelErr
		}
	}
	return out
}

// TestReferenceFloat32: with float32 weights every component matches the
// upstream outputs to max|err|/std(ref) ≤ 1e-4.
func TestReferenceFloat32(t *testing.T) {
	out := convertTiny(t, "float32")
	code, rep := verifyJSON(t, Options{Dir: out, Reference: golden.TinyReference()})
	require.Equal(t, ExitPass, code, rep.Problems)
	errs := referenceErrors(rep)
	require.Len(t, errs, 5)
	for name, e := range errs {
		require.LessOrEqual(t, e, 1e-4, name)
		t.Logf("float32 weights: %-26s max|err|/std(ref) = %.3e", name, e)
	}
}

// TestReferenceBFloat16: with bfloat16 weights everywhere, the DiT and T5
// stay within 2e-2 and the VAE within its documented 1e-1.
func TestReferenceBFloat16(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	code, rep := verifyJSON(t, Options{Dir: out, Reference: golden.TinyReference()})
	require.Equal(t, ExitPass, code, rep.Problems)
	errs := referenceErrors(rep)
	require.LessOrEqual(t, errs["dit.output"], 2e-2)
	require.LessOrEqual(t, errs["t5.output"], 2e-2)
	require.LessOrEqual(t, errs["vae.latent"], 1e-1)
	require.LessOrEqual(t, errs["vae.video"], 1e-1)
	// The rounding really happened: bfloat16 weights cannot match float32's 1e-4.
	require.Greater(t, errs["dit.output"], 1e-4)
	for name, e := range errs {
		t.Logf("bfloat16 weights: %-26s max|err|/std(ref) = %.3e", name, e)
	}
}

// TestShippedGolden: the default conversion of the tiny release passes the
// shipped golden file (what `make demo` runs).
func TestShippedGolden(t *testing.T) {
	out := convertTiny(t, "")
	code, rep := verifyJSON(t, Options{Dir: out, GoldenPath: golden.TinyGolden(), Reference: golden.TinyReference()})
	require.Equal(t, ExitPass, code, rep.Problems)
	for _, c := range rep.Components {
		require.NotNil(t, c.Forward, c.Name)
		require.NotNil(t, c.Forward.WorstDeviation, c.Name)
		require.Less(t, *c.Forward.WorstDeviation, 1e-3, c.Name)
	}
}

// TestSwappedWeightsFailForward: swapping two same-shaped weights (the first
// FFN layers of blocks 0 and 1) keeps every name, shape and dtype valid; the
// forward statistics catch it (and the manifest checksum).
func TestSwappedWeightsFailForward(t *testing.T) {
	out := convertTiny(t, "")
	path := filepath.Join(out, "wan_model_mlx.safetensors")
	rewriteSafetensors(t, path, func(entries []safetensors.HeaderEntry, data [][]byte) {
		a, b := -1, -1
		for i, e := range entries {
			switch e.Name {
			case "blocks.0.ffn.layers.0.weight":
				a = i
			case "blocks.1.ffn.layers.0.weight":
				b = i
			}
		}
		require.True(t, a >= 0 && b >= 0)
		data[a], data[b] = data[b], data[a]
	})
	code, rep := verifyJSON(t, Options{Dir: out, Components: []mapping.Component{mapping.ComponentDiT}, GoldenPath: golden.TinyGolden()})
	require.Equal(t, ExitMismatch, code)
	failed := map[string]bool{}
	for _, c := range rep.Components[0].Checks {
		if !c.Passed {
			failed[c.Name] = true
		}
	}
	require.True(t, failed["forward.output.golden"], rep.Problems)
	require.True(t, failed["manifest.wan_model_mlx.safetensors"], rep.Problems)
}

func TestRecordThenVerifyRoundTrip(t *testing.T) {
	out := convertTiny(t, "")
	rec := filepath.Join(t.TempDir(), "team.golden.json")
	code, _ := verifyJSON(t, Options{Dir: out, Components: []mapping.Component{mapping.ComponentT5, mapping.ComponentVAE}, Seed: 7, RecordGolden: rec})
	require.Equal(t, ExitPass, code)
	g, err := LoadGolden(rec)
	require.NoError(t, err)
	require.Equal(t, uint64(7), g.Components["t5"].Forward.Inputs.Seed)
	code, rep := verifyJSON(t, Options{Dir: out, Components: []mapping.Component{mapping.ComponentT5, mapping.ComponentVAE}, GoldenPath: rec})
	require.Equal(t, ExitPass, code, rep.Problems)
	for _, c := range rep.Components {
		require.Equal(t, 0.0, *c.Forward.WorstDeviation, c.Name) // same weights, same inputs, same CPU
	}
}

// TestRenamedTensorIsAMismatch: in a full (not structural-only) run a
// renamed tensor fails that component with exit 1, names both names, skips
// its forward pass and still verifies the other components.
func TestRenamedTensorIsAMismatch(t *testing.T) {
	out := convertTiny(t, "")
	path := filepath.Join(out, "t5_encoder_mlx.safetensors")
	const from, to = "blocks.1.ffn.fc1.weight", "blocks.1.ffn.fc9.weight"
	rewriteSafetensors(t, path, func(entries []safetensors.HeaderEntry, _ [][]byte) {
		for i := range entries {
			if entries[i].Name == from {
				entries[i].Name = to
			}
		}
	})
	code, rep := verifyJSON(t, Options{Dir: out})
	require.Equal(t, ExitMismatch, code, rep.Error)
	require.Empty(t, rep.Error)
	require.Len(t, rep.Components, 3)
	verdicts := map[string]bool{}
	for _, c := range rep.Components {
		verdicts[string(c.Name)] = c.Passed
	}
	require.Equal(t, map[string]bool{"dit": true, "t5": false, "vae": true}, verdicts)
	joined := strings.Join(rep.Problems, "\n")
	require.Contains(t, joined, from)
	require.Contains(t, joined, to)
	require.Contains(t, joined, "t5: forward: skipped")
	require.NotNil(t, rep.Components[2].Forward, "the VAE after it still ran")
}

// TestCorruptIndexIsAMismatch: a shard renamed behind the index's back is a
// broken checkpoint (exit 1, file named), not a usage error.
func TestCorruptIndexIsAMismatch(t *testing.T) {
	out := convertTiny(t, "")
	path := filepath.Join(out, "wan_model_mlx.safetensors")
	rewriteSafetensors(t, path, func(entries []safetensors.HeaderEntry, _ [][]byte) {
		entries[0].Name += ".renamed"
	})
	code, rep := verifyJSON(t, Options{Dir: out, Components: []mapping.Component{mapping.ComponentDiT, mapping.ComponentT5}})
	require.Equal(t, ExitMismatch, code, rep.Error)
	require.Contains(t, strings.Join(rep.Problems, "\n"), "dit: open:")
	require.True(t, rep.Components[1].Passed)
}

func TestGPUWithoutBackendIsUsageError(t *testing.T) {
	if gpuAvailable() {
		t.Skip("this MLX build has a GPU backend")
	}
	out := convertTiny(t, "")
	code, rep := verifyJSON(t, Options{Dir: out, Device: "gpu", Components: []mapping.Component{mapping.ComponentT5}})
	require.Equal(t, ExitBadInput, code)
	require.Contains(t, rep.Error, "no GPU backend")
}
