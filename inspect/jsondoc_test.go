package inspect

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// TestJSONDocCoversFields checks JSON.md documents every key the report
// emits (top level, components, problems, tensors, architectures).
func TestJSONDocCoversFields(t *testing.T) {
	doc, err := os.ReadFile("JSON.md")
	require.NoError(t, err)
	dir := writeConverted(t, func(_ mapping.Component, in []tensor.Info) []tensor.Info { return in[1:] })
	out, _ := describe(dir, Options{Tensors: true}, true)
	var v any
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	keys := map[string]bool{}
	collectKeys(v, keys, false)
	require.Contains(t, keys, "problems")
	require.Contains(t, keys, "kind")
	require.Contains(t, keys, "temperal_upsample")
	for k := range keys {
		require.Contains(t, string(doc), "`"+k+"`", "JSON.md does not document %q", k)
	}
}

// collectKeys gathers object keys recursively, skipping the free-form
// dtypes and metadata maps.
func collectKeys(v any, keys map[string]bool, freeForm bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if !freeForm {
				keys[k] = true
			}
			collectKeys(e, keys, k == "dtypes" || k == "metadata")
		}
	case []any:
		for _, e := range x {
			collectKeys(e, keys, false)
		}
	}
}
