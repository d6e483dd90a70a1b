package mapping

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
)

// ConfigProblem is one finding about an mlx-video config.json: Field is the
// WanModelConfig field concerned (empty for the file as a whole).
type ConfigProblem struct {
	Field  string `json:"field,omitempty"`
	Detail string `json:"detail"`
}

func (p ConfigProblem) String() string {
	if p.Field == "" {
		return "config.json: " + p.Detail
	}
	return fmt.Sprintf("config.json field %s: %s", p.Field, p.Detail)
}

// Error makes a ConfigProblem usable as an error.
func (p *ConfigProblem) Error() string { return p.String() }

// ParsedMLXVideoConfig is a read config.json: the effective configuration
// (what mlx-video would run with: the file's values over WanModelConfig's
// defaults), the fields the file lacks and the keys mlx-video ignores.
type ParsedMLXVideoConfig struct {
	MLXVideoConfigFile
	Missing []string // WanModelConfig fields absent from the file, in field order
	Unknown []string // keys that are no WanModelConfig field, sorted
}

// mlxVideoFields maps each JSON key of MLXVideoConfigFile to its field index,
// and lists the keys in order (quantization excluded).
var mlxVideoFields, mlxVideoFieldOrder = func() (map[string]int, []string) {
	m := map[string]int{}
	var order []string
	t := reflect.TypeOf(MLXVideoConfigFile{})
	for i := 0; i < t.NumField(); i++ {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[key] = i
		if key != "quantization" {
			order = append(order, key)
		}
	}
	return m, order
}()

// MLXVideoConfigFields lists every WanModelConfig field name in order.
func MLXVideoConfigFields() []string { return append([]string(nil), mlxVideoFieldOrder...) }

// ParseMLXVideoConfig reads config.json strictly: one JSON object, no key
// twice, nothing after it, and every known field of the type WanModelConfig
// gives it (an integer field rejects 5.0, no field may be null). The error is
// a *ConfigProblem naming the field.
func ParseMLXVideoConfig(data []byte) (*ParsedMLXVideoConfig, error) {
	raw, keys, err := topLevelObject(data)
	if err != nil {
		return nil, &ConfigProblem{Detail: err.Error()}
	}
	out := &ParsedMLXVideoConfig{MLXVideoConfigFile: MLXVideoDefaults()}
	v := reflect.ValueOf(&out.MLXVideoConfigFile).Elem()
	for _, k := range keys {
		i, known := mlxVideoFields[k]
		if !known {
			out.Unknown = append(out.Unknown, k)
			continue
		}
		msg := raw[k]
		if string(msg) == "null" {
			return nil, &ConfigProblem{Field: k, Detail: "is null, want " + jsonKind(v.Field(i).Type())}
		}
		dst := reflect.New(v.Field(i).Type())
		if err := json.Unmarshal(msg, dst.Interface()); err != nil {
			return nil, &ConfigProblem{Field: k, Detail: fmt.Sprintf("has %s, want %s", clip(msg), jsonKind(v.Field(i).Type()))}
		}
		if q, ok := dst.Interface().(**MLXVideoQuantization); ok && *q == nil {
			return nil, &ConfigProblem{Field: k, Detail: "is null, want an object"}
		}
		v.Field(i).Set(dst.Elem())
	}
	for _, k := range mlxVideoFieldOrder {
		if _, ok := raw[k]; !ok {
			out.Missing = append(out.Missing, k)
		}
	}
	sort.Strings(out.Unknown)
	return out, nil
}

// topLevelObject splits a JSON object into its members, refusing duplicate
// keys and trailing data.
func topLevelObject(data []byte) (map[string]json.RawMessage, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("not a JSON object")
	}
	raw := map[string]json.RawMessage{}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("not JSON: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("not JSON: object key %v", tok)
		}
		var msg json.RawMessage
		if err := dec.Decode(&msg); err != nil {
			return nil, nil, fmt.Errorf("value of %q: %v", key, err)
		}
		if _, dup := raw[key]; dup {
			return nil, nil, fmt.Errorf("key %q occurs twice", key)
		}
		raw[key] = msg
		keys = append(keys, key)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("not JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("data after the JSON object")
	}
	return raw, keys, nil
}

func jsonKind(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(GuideScale{}):
		return "a number or an array of numbers"
	case t.Kind() == reflect.Int:
		return "an integer"
	case t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Slice:
		return "an array of integers"
	}
	return "an object"
}

func clip(msg []byte) string {
	s := string(msg)
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
