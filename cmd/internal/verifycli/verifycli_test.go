package verifycli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/verify"
)

// runMain runs the verifier's command line in-process.
func runMain(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := Main(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestParseDefaults: a directory alone verifies every component on the
// CPU, streaming the DiT by size.
func TestParseDefaults(t *testing.T) {
	t.Parallel()
	o, err := Parse([]string{"conv"}, new(bytes.Buffer))
	require.NoError(t, err)
	require.Equal(t, verify.Options{Dir: "conv", Components: mapping.Components, Device: "cpu", StreamDiT: "auto"}, o)
}

// TestParseEveryFlag: each flag lands in its field, before or after the
// directory; the lists drop blanks and repeats.
func TestParseEveryFlag(t *testing.T) {
	t.Parallel()
	o, err := Parse([]string{"--golden", "g.json", "--reference", "ref.safetensors", "--source", "rel",
		"--components", " vae, t5,,vae", "conv", "--experts", "low_noise_model,low_noise_model", "--json",
		"--structural-only", "--device", "gpu", "--ref-tolerance", "0.05", "--seq-len", "12", "--stream-dit", "on"}, new(bytes.Buffer))
	require.NoError(t, err)
	require.Equal(t, verify.Options{Dir: "conv", GoldenPath: "g.json", Reference: "ref.safetensors", Source: "rel",
		Components: []mapping.Component{mapping.ComponentVAE, mapping.ComponentT5}, Experts: []layout.Expert{layout.ExpertLow},
		JSON: true, Structural: true, Device: "gpu", RefTolerance: 0.05, SeqLen: 12, StreamDiT: "on"}, o)

	o, err = Parse([]string{"-seed", "9", "--record-golden", "r.json", "conv"}, new(bytes.Buffer))
	require.NoError(t, err)
	require.Equal(t, uint64(9), o.Seed)
	require.Equal(t, "r.json", o.RecordGolden)
}

// TestBadUsage: bad flags exit 2 with exactly one "verify: " line naming
// the problem; a wrong argument count prints the usage too.
func TestBadUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args  []string
		want  string
		usage bool
	}{
		{nil, "expected exactly one CONVERTED_DIR, got 0", true},
		{[]string{"a", "--json", "b"}, "expected exactly one CONVERTED_DIR, got 2", true},
		{[]string{"--components", "unet", "."}, `unknown component "unet" (want dit, t5, vae)`, false},
		{[]string{"--components", " , ", "."}, "no components selected", false},
		{[]string{"--experts", "mid_noise_model", "."}, `--experts: unknown expert "mid_noise_model" (want high_noise_model or low_noise_model)`, false},
		{[]string{"--ref-tolerance", "-1", "."}, "--ref-tolerance must be >= 0, got -1", false},
		{[]string{"--seq-len", "-2", "."}, "--seq-len must be >= 0, got -2", false},
		{[]string{"--seed", "3", "--golden", "g.json", "."}, "--seed and --golden are exclusive: the golden file fixes the inputs", false},
		{[]string{"--stream-dit", "maybe", "."}, `--stream-dit: unknown value "maybe" (want on, off or auto)`, false},
		{[]string{"--device", "tpu", "."}, `unknown device "tpu" (want cpu or gpu)`, false},
		{[]string{"--golden", "g.json", "--record-golden", "r.json", "."}, "--golden and --record-golden are exclusive", false},
		{[]string{"--bogus", "."}, "flag provided but not defined: -bogus", true},
	} {
		code, stdout, stderr := runMain(c.args...)
		name := strings.Join(c.args, " ")
		require.Equal(t, verify.ExitBadInput, code, name)
		require.Empty(t, stdout, name)
		require.True(t, strings.HasSuffix(stderr, "verify: "+c.want+"\n"), "%s: %q", name, stderr)
		require.Equal(t, c.usage, strings.Contains(stderr, usage), "%s: usage printed", name)
	}
}

// TestHelp: -h prints the usage and every flag's default, and (as a bad
// usage) exits 2 without an error line.
func TestHelp(t *testing.T) {
	t.Parallel()
	_, err := Parse([]string{"-h"}, new(bytes.Buffer))
	require.ErrorIs(t, err, flag.ErrHelp)
	code, stdout, stderr := runMain("-h")
	require.Equal(t, verify.ExitBadInput, code)
	require.Empty(t, stdout)
	require.True(t, strings.HasPrefix(stderr, "usage: verify [flags] CONVERTED_DIR\n"), stderr)
	require.Contains(t, stderr, "Exit 0 pass, 1 mismatch, 2 bad input or usage.")
	for _, f := range []string{"-components string\n    \tcomma-separated components to verify (default \"dit,t5,vae\")",
		"-device string\n    \tMLX device: cpu or gpu (default \"cpu\")", "-golden file", "-stream-dit string"} {
		require.Contains(t, stderr, f)
	}
	require.NotContains(t, stderr, "verify: ")
}

// TestFlagsAfterDirectory runs the verifier on a conversion of the tiny
// release, its flags after the directory: the text report covers only the
// selected component.
func TestFlagsAfterDirectory(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	_, err := convert.Convert(context.Background(), convert.Options{SrcDir: golden.TinyRelease(), OutDir: out, Quiet: true})
	require.NoError(t, err)
	code, stdout, stderr := runMain(out, "--structural-only", "--components", "t5")
	require.Equal(t, verify.ExitPass, code, stdout+stderr)
	require.Contains(t, stdout, "[T5] PASS")
	require.NotContains(t, stdout, "[DIT]")
	require.Empty(t, stderr)
}

// TestBadInputJSON: a run that fails on its input exits 2 with the JSON
// report on stdout and its error repeated on stderr; the text report keeps
// stderr empty.
func TestBadInputJSON(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope")
	code, stdout, stderr := runMain("--json", "--structural-only", missing)
	require.Equal(t, verify.ExitBadInput, code)
	var rep verify.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	require.Contains(t, rep.Error, missing)
	require.Equal(t, "verify: "+rep.Error+"\n", stderr)

	code, stdout, stderr = runMain("--structural-only", missing)
	require.Equal(t, verify.ExitBadInput, code)
	require.Contains(t, stdout, missing)
	require.Empty(t, stderr)
}
