package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/inspect"
)

var tinyDir = golden.TinyRelease()

// runCLI runs the command in-process and returns status, stdout and stderr.
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMainText(t *testing.T) {
	code, out, errs := runCLI(tinyDir)
	require.Equal(t, 0, code, errs)
	require.Empty(t, errs)
	require.Contains(t, out, tinyDir+": Wan2.2 release directory")
	require.Equal(t, 3, strings.Count(out, "check         passed"))
	require.NotContains(t, out, "tensors:")

	code, out, _ = runCLI("--tensors", tinyDir)
	require.Equal(t, 0, code)
	require.Regexp(t, `\n    patch_embedding\.weight +float32 +\(128, 48, 1, 2, 2\)\n`, out)
}

func TestMainJSON(t *testing.T) {
	// flags may follow the path
	code, out, errs := runCLI(tinyDir, "--json", "--tensors")
	require.Equal(t, 0, code, errs)
	var doc struct {
		Version    int              `json:"version"`
		Input      string           `json:"input"`
		Components []map[string]any `json:"components"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Equal(t, inspect.Version, doc.Version)
	require.Equal(t, "release", doc.Input)
	require.Len(t, doc.Components, 3)
	require.NotEmpty(t, doc.Components[0]["tensors"])
	require.True(t, strings.HasPrefix(out, "{\n  \"version\": "), "indented JSON")
}

func TestMainBadInputs(t *testing.T) {
	dir := t.TempDir()
	garbagePth := filepath.Join(dir, "garbage.pth")
	require.NoError(t, os.WriteFile(garbagePth, []byte("this is not a checkpoint"), 0o644))
	missing := filepath.Join(dir, "does-not-exist")
	cases := []struct {
		name string
		args []string
		want []string // substrings of stderr
	}{
		{"missing", []string{missing}, []string{missing, "no such file"}},
		{"garbage-pth", []string{"--json", garbagePth}, []string{"inspect: " + garbagePth}},
		{"no-args", nil, []string{"want exactly one FILE_OR_DIR, got 0", "usage:"}},
		{"two-paths", []string{tinyDir, tinyDir}, []string{"want exactly one FILE_OR_DIR, got 2"}},
		{"unknown-flag", []string{"--fast", tinyDir}, []string{"unknown flag --fast"}},
		{"late-verify", []string{tinyDir, "--verify"}, []string{"--verify must come first"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCLI(c.args...)
			require.Equal(t, 2, code, "stdout: %s", out)
			require.Empty(t, out)
			for _, w := range c.want {
				require.Contains(t, errs, w)
			}
		})
	}
}

func TestMainHelp(t *testing.T) {
	code, out, errs := runCLI("--help")
	require.Equal(t, 0, code)
	require.Empty(t, errs)
	require.Contains(t, out, "usage: inspect [--tensors] [--json] FILE_OR_DIR")
}

func TestVerifyHook(t *testing.T) {
	saved := runVerifier
	defer func() { runVerifier = saved }()
	var got []string
	runVerifier = func(args []string) int { got = args; return 7 }
	code, _, _ := runCLI("--verify", "somedir", "--tolerance", "1e-3")
	require.Equal(t, 7, code)
	require.Equal(t, []string{"somedir", "--tolerance", "1e-3"}, got)
}

// TestMainMissingComponentIsIncomplete: a directory lacking a component
// exits 2, naming it on stderr, and the report is still printed.
func TestMainMissingComponentIsIncomplete(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "release")
	require.NoError(t, os.CopyFS(dir, os.DirFS(tinyDir)))
	require.NoError(t, os.Remove(filepath.Join(dir, "models_t5_umt5-xxl-enc-bf16.pth")))
	code, out, errs := runCLI("--json", dir)
	require.Equal(t, 2, code)
	require.Equal(t, "inspect: "+dir+": no t5 component found\n", errs)
	var doc struct {
		Missing []string `json:"missing_components"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), "the report is still printed")
	require.Equal(t, []string{"t5"}, doc.Missing)
}
