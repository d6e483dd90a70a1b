package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/wanconv/wanconv/internal/units"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

var inputTitles = map[string]string{
	InputRelease:     "Wan2.2 release directory",
	InputConverted:   "converted MLX directory",
	InputMixed:       "directory with both release and converted files",
	InputSafetensors: "safetensors file",
	InputIndex:       "sharded safetensors index",
	InputPth:         "PyTorch checkpoint",
}

// WriteJSON writes the JSON report (schema: JSON.md), indented.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText renders a report for people.
func WriteText(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("%s: %s\n", r.Path, inputTitles[r.Input])
	if r.Release != "" {
		ew.printf("release: %s\n", r.Release)
	}
	if len(r.MissingComponents) > 0 {
		names := make([]string, len(r.MissingComponents))
		for i, c := range r.MissingComponents {
			names[i] = string(c)
		}
		ew.printf("missing components: %s\n", strings.Join(names, ", "))
	}
	for _, c := range r.Components {
		writeComponent(ew, c)
	}
	return ew.err
}

func writeComponent(ew *errWriter, c *ComponentReport) {
	if c.Component == "" {
		ew.printf("\ncheckpoint (%s, no Wan2.2 component recognised)\n", c.Format)
	} else {
		naming := string(c.Naming)
		if c.Layout != "" {
			naming = string(c.Layout) + " layout, " + naming
		}
		name := string(c.Component)
		if c.Expert != "" {
			name += " " + c.Expert
		}
		ew.printf("\n%s (%s, %s names)\n", name, c.Format, naming)
	}
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	if c.Index != nil {
		row("index", *c.Index)
	}
	files := make([]string, len(c.Files))
	for i, f := range c.Files {
		files[i] = filepath.Base(f)
	}
	row("files", strings.Join(files, ", "))
	if c.Config != nil {
		row("config", *c.Config)
	}
	row("tensors", units.Thousands(int64(c.TensorCount)))
	row("params", units.Thousands(c.ParamCount))
	row("bytes", fmt.Sprintf("%s (%s)", units.Thousands(c.Bytes), units.Bytes(c.Bytes)))
	row("dtypes", dtypeList(c.DTypes))
	if q := c.Quantization; q != nil {
		row("quantization", fmt.Sprintf("%d-bit, group size %d, %d Linears (params: the dense weights they stand for)", q.Bits, q.GroupSize, q.Linears))
	}
	if c.Architecture != nil {
		row("architecture", archString(c.Architecture))
		if d, ok := c.Architecture.(*mapping.DiTArch); ok && d.NumHeads == 0 {
			row("", "(num_heads, model_type, text_len and eps come from config.json, not found)")
		}
	}
	row("check", c.Check)
	tw.Flush()
	for _, p := range c.Problems {
		ew.printf("    %s\n", p)
	}
	if len(c.Tensors) > 0 {
		ew.printf("  tensors:\n")
		tw = tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		for _, t := range c.Tensors {
			fmt.Fprintf(tw, "    %s\t%s\t%s\n", t.Name, t.DType, tensor.ShapeString(t.Shape))
		}
		tw.Flush()
	}
}

// archString lists the architecture fields as key=value in declaration order.
func archString(a mapping.Arch) string {
	v := reflect.ValueOf(a)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return fmt.Sprint(a)
	}
	var parts []string
	for i := 0; i < v.NumField(); i++ {
		key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if key == "" || key == "-" {
			continue
		}
		val, err := json.Marshal(v.Field(i).Interface())
		if err != nil {
			continue
		}
		parts = append(parts, key+"="+string(val))
	}
	return strings.Join(parts, " ")
}

func dtypeList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// errWriter remembers the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
