package inspect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

var (
	tinyDir    = golden.TinyRelease()
	goldenJSON = golden.TinyFacts()
)

// describe inspects path and renders the report as text, or as JSON;
// refused holds every reason the input is refused (the Inspect error, or
// each of the report's Invalid()), one per line. cmd/inspect prints the
// same and exits 2 when refused is not empty.
func describe(path string, opt Options, asJSON bool) (out, refused string) {
	rep, err := Inspect(path, opt)
	if err != nil {
		return "", err.Error() + "\n"
	}
	var b, r bytes.Buffer
	if asJSON {
		err = WriteJSON(&b, rep)
	} else {
		err = WriteText(&b, rep)
	}
	if err != nil {
		fmt.Fprintf(&r, "writing the report: %v\n", err)
	}
	for _, e := range rep.Invalid() {
		fmt.Fprintf(&r, "%v\n", e)
	}
	return b.String(), r.String()
}

// writeZeros writes a valid safetensors file whose tensors are all zero,
// without materialising the data (the file is extended sparsely).
func writeZeros(t testing.TB, path string, infos []tensor.Info) {
	t.Helper()
	entries := make([]safetensors.HeaderEntry, len(infos))
	for i, info := range infos {
		entries[i] = safetensors.HeaderEntry{Name: info.Name, DType: info.DType, Shape: info.Shape}
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	w, err := safetensors.NewWriter(f, entries, map[string]string{"format": "mlx"})
	require.NoError(t, err)
	require.NoError(t, f.Truncate(w.Size()))
}

// writeConverted writes a converted directory (zero weights, bfloat16) for
// the tiny release; the DiT is split into two shards with an index. edit,
// when set, may change each component's converted tensor list.
func writeConverted(t testing.TB, edit func(mapping.Component, []tensor.Info) []tensor.Info) string {
	t.Helper()
	rep, err := Inspect(tinyDir, Options{Tensors: true})
	require.NoError(t, err)
	dir := t.TempDir()
	config, err := os.ReadFile(filepath.Join(tinyDir, "config.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), config, 0o644))
	for _, c := range rep.Components {
		var src []tensor.Info
		for _, te := range c.Tensors {
			dt, err := tensor.ParseDType(te.DType)
			require.NoError(t, err)
			src = append(src, tensor.Info{Name: te.Name, DType: dt, Shape: te.Shape})
		}
		plan, err := mapping.PlanComponent(c.Component, src, config)
		require.NoError(t, err)
		var out []tensor.Info
		for _, e := range plan.Entries {
			out = append(out, tensor.Info{Name: e.Target, DType: tensor.BF16, Shape: e.OutShape})
		}
		if edit != nil {
			out = edit(c.Component, out)
		}
		switch c.Component {
		case mapping.ComponentDiT:
			writeShardedDiT(t, dir, out)
		case mapping.ComponentT5:
			writeZeros(t, filepath.Join(dir, "t5_encoder_mlx.safetensors"), out)
		case mapping.ComponentVAE:
			writeZeros(t, filepath.Join(dir, "vae_mlx.safetensors"), out)
		}
	}
	return dir
}

func writeShardedDiT(t testing.TB, dir string, infos []tensor.Info) {
	half := len(infos) / 2
	parts := [][]tensor.Info{infos[:half], infos[half:]}
	weightMap := map[string]string{}
	var total int64
	for i, p := range parts {
		name := fmt.Sprintf("wan_model_mlx-%05d-of-%05d.safetensors", i+1, len(parts))
		writeZeros(t, filepath.Join(dir, name), p)
		for _, info := range p {
			weightMap[info.Name] = name
			total += info.NumBytes()
		}
	}
	index, err := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wan_model_mlx.safetensors.index.json"), index, 0o644))
}

// goldenArchs returns the tiny release's configs from golden.json as the
// architecture structs inference must recover.
func goldenArchs(t *testing.T) map[mapping.Component]mapping.Arch {
	t.Helper()
	data, err := os.ReadFile(goldenJSON)
	require.NoError(t, err)
	var g map[string]struct {
		Config json.RawMessage `json:"config"`
	}
	require.NoError(t, json.Unmarshal(data, &g))
	dit, t5, vae := &mapping.DiTArch{}, &mapping.T5Arch{}, &mapping.VAEArch{}
	require.NoError(t, json.Unmarshal(g["dit"].Config, dit))
	require.NoError(t, json.Unmarshal(g["t5"].Config, t5))
	require.NoError(t, json.Unmarshal(g["vae"].Config, vae))
	// Upstream builds the decoder's temporal flags as the reverse of the
	// encoder's; golden.json stores only the latter.
	for i := len(vae.TemperalDownsample) - 1; i >= 0; i-- {
		vae.TemperalUpsample = append(vae.TemperalUpsample, vae.TemperalDownsample[i])
	}
	return map[mapping.Component]mapping.Arch{mapping.ComponentDiT: dit, mapping.ComponentT5: t5, mapping.ComponentVAE: vae}
}

func component(t testing.TB, r *Report, c mapping.Component) *ComponentReport {
	t.Helper()
	for _, cr := range r.Components {
		if cr.Component == c {
			return cr
		}
	}
	require.Failf(t, "component missing", "report has no %s", c)
	return nil
}
