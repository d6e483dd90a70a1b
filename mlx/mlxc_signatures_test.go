package mlx_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The bridge's headers (mlxc/mlx/c/*.h) promise mlx-c 0.6's declarations.
// testdata/mlxc-0.6-signatures.txt holds, normalized, the official 0.6.0
// declaration of every function, struct, enum and typedef the bridge
// declares. It was written with
//
//	git -C <mlx-c> archive v0.6.0 mlx/c | tar -x -C /tmp/mlxc
//	go test ./mlx/ -run TestBridgeDeclarationsMatchMLXC06 -mlxc-official /tmp/mlxc/mlx/c
//
// and is then read without any mlx-c at hand.
var mlxcOfficial = flag.String("mlxc-official", "",
	"official mlx-c headers (…/mlx/c): rewrite "+signaturesFile+" from them for the bridge's declarations")

const (
	bridgeHeaders  = "mlxc/mlx/c"
	signaturesFile = "testdata/mlxc-0.6-signatures.txt"
)

func TestBridgeDeclarationsMatchMLXC06(t *testing.T) {
	bridge, err := parseHeaderDir(bridgeHeaders)
	require.NoError(t, err)
	require.Greater(t, countKind(bridge, "fn "), 100, "the bridge headers declare the functions the Go code calls")
	if *mlxcOfficial != "" {
		official, err := parseHeaderDir(*mlxcOfficial)
		require.NoError(t, err)
		require.NoError(t, writeSignatures(signaturesFile, bridge, official))
	}
	want, err := readSignatures(signaturesFile)
	require.NoError(t, err)
	for _, p := range compareDecls(bridge, want) {
		t.Error(p)
	}
}

func TestDeclarationCheckNamesTheDriftingFunction(t *testing.T) {
	want, err := readSignatures(signaturesFile)
	require.NoError(t, err)
	src, err := os.ReadFile(bridgeHeaders + "/ops.h")
	require.NoError(t, err)
	decls, err := parseHeader(string(src))
	require.NoError(t, err)
	ops := map[string]cDecl{}
	for _, d := range decls {
		d.file = "ops.h"
		ops[d.key] = d
	}
	sub := map[string]string{}
	for k := range ops {
		sub[k] = want[k]
	}
	require.Empty(t, compareDecls(ops, sub), "ops.h as committed matches")

	// A parameter type, a return type, a missing parameter and an unknown
	// function are each reported against the function's name.
	cases := map[string]struct{ from, to, fn string }{
		"parameter type": {"int mlx_abs(mlx_array* res, const mlx_array a,", "int mlx_abs(mlx_array* res, mlx_array a,", "mlx_abs"},
		"return type":    {"int mlx_tanh(", "size_t mlx_tanh(", "mlx_tanh"},
		"arity":          {"    int groups,\n    bool flip,", "    int groups,", "mlx_conv_general"},
		"unknown":        {"int mlx_sin(", "int mlx_sine(", "mlx_sine"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			edited := strings.Replace(string(src), c.from, c.to, 1)
			require.NotEqual(t, string(src), edited, "the edit applies")
			decls, err := parseHeader(edited)
			require.NoError(t, err)
			got := map[string]cDecl{}
			for _, d := range decls {
				d.file = "ops.h"
				got[d.key] = d
			}
			problems := compareDecls(got, sub)
			require.NotEmpty(t, problems)
			require.Contains(t, strings.Join(problems, "\n"), c.fn)
		})
	}
}

func TestHeaderParserNormalizes(t *testing.T) {
	decls, err := parseHeader(`
#ifndef X_H
#define X_H
#ifdef __cplusplus
extern "C" {
#endif
typedef struct opt_ { int value; bool has_value; } opt;
typedef enum kind_ { KA, KB = 3 } kind;
typedef void (*handler)(const char* msg, void* data);
/* comment */ int   f( mlx_array *res,const char* s /* may be null */ , void ( *dtor ) (void*) );
size_t g(void);
#ifdef __cplusplus
}
#endif
#endif
`)
	require.NoError(t, err)
	var lines []string
	for _, d := range decls {
		lines = append(lines, d.line)
	}
	require.Equal(t, []string{
		"struct opt { int value; bool has_value; }",
		"enum kind { KA, KB = 3 }",
		"typedef handler void (*)(const char*, void*)",
		"fn int f(mlx_array*, const char*, void (*)(void*))",
		"fn size_t g(void)",
	}, lines)
}

// compareDecls lists every bridge declaration that is missing from want or
// differs from it, and every want entry the bridge no longer declares.
func compareDecls(bridge map[string]cDecl, want map[string]string) []string {
	var problems []string
	for _, key := range sortedKeys(bridge) {
		d := bridge[key]
		w, ok := want[key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s (%s): no mlx-c 0.6 declaration in %s (not in mlx-c 0.6, or regenerate with -mlxc-official)",
				key, d.file, signaturesFile))
		case w != d.line:
			problems = append(problems, fmt.Sprintf("%s (%s) differs from mlx-c 0.6:\n  bridge:   %s\n  official: %s",
				key, d.file, d.line, w))
		}
	}
	for _, key := range sortedKeys(want) {
		if _, ok := bridge[key]; !ok {
			problems = append(problems, fmt.Sprintf("%s: listed in %s but no longer declared by the bridge", key, signaturesFile))
		}
	}
	return problems
}

func readSignatures(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, err := keyOf(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s:%d: %s listed twice", path, n, key)
		}
		out[key] = line
	}
	return out, sc.Err()
}

// keyOf returns the kind and name of a normalized line.
func keyOf(line string) (string, error) {
	f := strings.Fields(line)
	if len(f) < 3 {
		return "", fmt.Errorf("malformed line %q", line)
	}
	switch f[0] {
	case "struct", "enum", "typedef":
		return f[0] + " " + f[1], nil
	case "var":
		return "var " + f[len(f)-1], nil
	case "fn":
		open := strings.IndexByte(line, '(')
		if open < 0 {
			return "", fmt.Errorf("malformed prototype %q", line)
		}
		head := strings.Fields(line[:open])
		return "fn " + head[len(head)-1], nil
	}
	return "", fmt.Errorf("unknown kind in %q", line)
}

func writeSignatures(path string, bridge, official map[string]cDecl) error {
	var b strings.Builder
	b.WriteString("# Official mlx-c 0.6.0 declarations (ml-explore/mlx-c tag v0.6.0,\n")
	b.WriteString("# commit 0726ca922fc902c4c61ef9c27d94132be418e945) of everything the bridge\n")
	b.WriteString("# headers mlx/mlxc/mlx/c/*.h declare, one normalized declaration a line\n")
	b.WriteString("# (parameter names dropped). Read by mlxc_signatures_test.go.\n")
	for _, key := range sortedKeys(bridge) {
		if d, ok := official[key]; ok {
			fmt.Fprintf(&b, "%s\n", d.line)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func countKind(m map[string]cDecl, prefix string) int {
	n := 0
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
