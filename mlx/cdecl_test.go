package mlx_test

// A small reader of C declarations, enough for the mlx-c style headers under
// mlxc/ (and the official mlx-c ones): it keeps what a C compiler sees (the
// `#ifdef __cplusplus` branches are dropped), removes comments, and turns
// every top-level declaration into one normalized line:
//
//	fn <return type> <name>(<parameter types>)
//	typedef <name> <type>
//	struct <name> { <field type> <field>; ... }
//	enum <name> { <A>, <B> = 3, ... }
//	var <type> <name>
//
// Parameter names are dropped, pointers are written "T*", and tokens are
// separated by single spaces, so two headers that declare the same function
// produce the same line however they are formatted.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// cDecl is one normalized declaration; key is its kind and name
// ("fn mlx_abs", "struct mlx_array", ...).
type cDecl struct {
	key, line, file string
}

// parseHeaderDir reads every *.h in dir.
func parseHeaderDir(dir string) (map[string]cDecl, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.h"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no headers in %s", dir)
	}
	sort.Strings(files)
	out := map[string]cDecl{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		decls, err := parseHeader(string(src))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, d := range decls {
			d.file = filepath.Base(f)
			if prev, dup := out[d.key]; dup && prev.line != d.line {
				return nil, fmt.Errorf("%s: %s declared differently in %s", d.file, d.key, prev.file)
			}
			out[d.key] = d
		}
	}
	return out, nil
}

// parseHeader returns the declarations of one header.
func parseHeader(src string) ([]cDecl, error) {
	toks, err := cTokens(stripComments(dropCPlusPlus(src)))
	if err != nil {
		return nil, err
	}
	var out []cDecl
	depth, start := 0, 0
	for i, t := range toks {
		switch t {
		case "{", "(":
			depth++
		case "}", ")":
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced %q", t)
			}
		case ";":
			if depth == 0 {
				d, err := declOf(toks[start:i])
				if err != nil {
					return nil, err
				}
				out = append(out, d)
				start = i + 1
			}
		}
	}
	if start != len(toks) {
		return nil, fmt.Errorf("trailing tokens %q", strings.Join(toks[start:], " "))
	}
	return out, nil
}

// dropCPlusPlus removes preprocessor lines, keeping only the lines a C
// compiler compiles: the `#ifdef __cplusplus` branches go, other
// conditionals (include guards) are kept whole.
func dropCPlusPlus(src string) string {
	var b strings.Builder
	type cond struct{ cpp, inElse bool }
	var stack []cond
	skipping := func() bool {
		for _, c := range stack {
			if c.cpp != c.inElse {
				return true
			}
		}
		return false
	}
	for _, line := range strings.Split(src, "\n") {
		f := strings.Fields(strings.TrimSpace(line))
		if len(f) > 0 && strings.HasPrefix(f[0], "#") {
			dir := strings.TrimPrefix(f[0], "#")
			if dir == "" && len(f) > 1 {
				dir = f[1]
			}
			switch dir {
			case "if", "ifdef", "ifndef":
				stack = append(stack, cond{cpp: dir == "ifdef" && strings.Contains(line, "__cplusplus")})
			case "else":
				if n := len(stack); n > 0 {
					stack[n-1].inElse = true
				}
			case "endif":
				if n := len(stack); n > 0 {
					stack = stack[:n-1]
				}
			}
			continue
		}
		if !skipping() {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func stripComments(src string) string {
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		switch {
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += end + 3
			b.WriteByte(' ')
		case strings.HasPrefix(src[i:], "//"):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				return b.String()
			}
			i += end
			b.WriteByte('\n')
		default:
			b.WriteByte(src[i])
		}
	}
	return b.String()
}

// cTokens splits C source into identifiers, numbers and punctuation.
func cTokens(src string) ([]string, error) {
	var out []string
	for i := 0; i < len(src); {
		r := rune(src[i])
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			j := i
			for j < len(src) && (src[j] == '_' || unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j]))) {
				j++
			}
			out = append(out, src[i:j])
			i = j
		case strings.HasPrefix(src[i:], "..."):
			out = append(out, "...")
			i += 3
		case strings.ContainsRune("*(){},;=-", r):
			out = append(out, string(r))
			i++
		default:
			return nil, fmt.Errorf("unexpected character %q", r)
		}
	}
	return out, nil
}

func isIdent(t string) bool {
	return t != "" && (t[0] == '_' || unicode.IsLetter(rune(t[0])))
}

// declOf normalizes one declaration (without its ';').
func declOf(toks []string) (cDecl, error) {
	bad := func(why string) (cDecl, error) {
		return cDecl{}, fmt.Errorf("%s: %q", why, strings.Join(toks, " "))
	}
	if len(toks) < 3 {
		return bad("too short for a declaration")
	}
	if toks[0] == "typedef" {
		body := toks[1:]
		if (body[0] == "struct" || body[0] == "enum") && tokContains(body, "{") {
			open, shut := tokIndex(body, "{"), tokLastIndex(body, "}")
			if shut != len(body)-2 || !isIdent(body[len(body)-1]) {
				return bad("typedef name expected after the body")
			}
			name := body[len(body)-1]
			inner := body[open+1 : shut]
			if body[0] == "enum" {
				return cDecl{key: "enum " + name, line: "enum " + name + " { " + enumBody(inner) + " }"}, nil
			}
			fields, err := structBody(inner)
			if err != nil {
				return bad(err.Error())
			}
			return cDecl{key: "struct " + name, line: "struct " + name + " { " + fields + " }"}, nil
		}
		typ, name, err := namedType(body)
		if err != nil {
			return bad(err.Error())
		}
		return cDecl{key: "typedef " + name, line: "typedef " + name + " " + typ}, nil
	}
	if !tokContains(toks, "(") {
		typ, name, err := namedType(toks)
		if err != nil {
			return bad(err.Error())
		}
		return cDecl{key: "var " + name, line: "var " + typ + " " + name}, nil
	}
	open := tokIndex(toks, "(")
	if open < 2 || toks[len(toks)-1] != ")" || !isIdent(toks[open-1]) {
		return bad("not a function prototype")
	}
	name := toks[open-1]
	params, err := paramList(toks[open+1 : len(toks)-1])
	if err != nil {
		return bad(err.Error())
	}
	return cDecl{key: "fn " + name, line: "fn " + joinType(toks[:open-1]) + " " + name + "(" + params + ")"}, nil
}

// paramList normalizes comma-separated parameters, dropping their names.
func paramList(toks []string) (string, error) {
	var parts []string
	for _, p := range splitTop(toks, ",") {
		if len(p) == 0 {
			return "", fmt.Errorf("empty parameter")
		}
		typ, _, err := namedType(p)
		if err != nil {
			if len(p) == 1 || !isIdent(p[len(p)-1]) {
				typ, err = joinType(p), nil // unnamed, e.g. "void", "void*" or "..."
			} else {
				return "", err
			}
		}
		parts = append(parts, typ)
	}
	return strings.Join(parts, ", "), nil
}

// namedType splits "T name" or a function pointer "R (*name)(params)" into
// the normalized type and the name.
func namedType(toks []string) (typ, name string, err error) {
	if i := tokIndex(toks, "("); i >= 0 {
		if i+3 >= len(toks) || toks[i+1] != "*" || !isIdent(toks[i+2]) || toks[i+3] != ")" ||
			len(toks) < i+6 || toks[i+4] != "(" || toks[len(toks)-1] != ")" {
			return "", "", fmt.Errorf("unsupported declarator %q", strings.Join(toks, " "))
		}
		params, err := paramList(toks[i+5 : len(toks)-1])
		if err != nil {
			return "", "", err
		}
		return joinType(toks[:i]) + " (*)(" + params + ")", toks[i+2], nil
	}
	if len(toks) < 2 || !isIdent(toks[len(toks)-1]) || toks[len(toks)-1] == "void" {
		return "", "", fmt.Errorf("no name in %q", strings.Join(toks, " "))
	}
	return joinType(toks[:len(toks)-1]), toks[len(toks)-1], nil
}

func structBody(toks []string) (string, error) {
	var fields []string
	for _, f := range splitTop(toks, ";") {
		if len(f) == 0 {
			continue
		}
		typ, name, err := namedType(f)
		if err != nil {
			return "", err
		}
		fields = append(fields, typ+" "+name+";")
	}
	return strings.Join(fields, " "), nil
}

func enumBody(toks []string) string {
	var items []string
	for _, e := range splitTop(toks, ",") {
		if len(e) > 0 {
			items = append(items, strings.Join(e, " "))
		}
	}
	return strings.Join(items, ", ")
}

// joinType writes type tokens with single spaces and pointers as "T*".
func joinType(toks []string) string {
	var b strings.Builder
	for i, t := range toks {
		if i > 0 && t != "*" {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	return b.String()
}

// splitTop splits toks at sep outside parentheses and braces.
func splitTop(toks []string, sep string) [][]string {
	var out [][]string
	depth, start := 0, 0
	for i, t := range toks {
		switch t {
		case "(", "{":
			depth++
		case ")", "}":
			depth--
		case sep:
			if depth == 0 {
				out = append(out, toks[start:i])
				start = i + 1
			}
		}
	}
	return append(out, toks[start:])
}

func tokIndex(toks []string, t string) int {
	for i, x := range toks {
		if x == t {
			return i
		}
	}
	return -1
}

func tokLastIndex(toks []string, t string) int {
	for i := len(toks) - 1; i >= 0; i-- {
		if toks[i] == t {
			return i
		}
	}
	return -1
}

func tokContains(toks []string, t string) bool { return tokIndex(toks, t) >= 0 }
