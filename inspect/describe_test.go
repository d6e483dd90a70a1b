package inspect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

func TestDescribeText(t *testing.T) {
	out, errs := describe(tinyDir, Options{}, false)
	require.Empty(t, errs)
	require.Contains(t, out, tinyDir+": Wan2.2 release directory")
	require.Contains(t, out, "params        597,568")
	require.Contains(t, out, "params        2,250,772")
	require.Contains(t, out, "dtypes        bfloat16×22")
	require.Contains(t, out, "num_heads=4 num_layers=2")
	require.Contains(t, out, "dim_mult=[1,2,4,4] num_res_blocks=2")
	require.Equal(t, 3, strings.Count(out, "check         passed"))
	require.NotContains(t, out, "tensors:")

	out, errs = describe(tinyDir, Options{Tensors: true}, false)
	require.Empty(t, errs)
	require.Regexp(t, `\n    patch_embedding\.weight +float32 +\(128, 48, 1, 2, 2\)\n`, out)
	require.Regexp(t, `\n    decoder\.middle\.1\.norm\.gamma +float32 +\(32, 1, 1\)\n`, out)
}

func TestDescribeJSON(t *testing.T) {
	out, errs := describe(tinyDir, Options{Tensors: true}, true)
	require.Empty(t, errs)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Equal(t, float64(Version), doc["version"])
	require.Equal(t, "release", doc["input"])
	require.Equal(t, []any{}, doc["missing_components"])
	comps := doc["components"].([]any)
	require.Len(t, comps, 3)
	dit := comps[0].(map[string]any)
	keys := make([]string, 0, len(dit))
	for k := range dit {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	require.Equal(t, []string{"architecture", "bytes", "check", "component", "config", "dtypes", "files", "format",
		"index", "metadata", "naming", "param_count", "problems", "tensor_count", "tensors"}, keys)
	require.Equal(t, "dit", dit["component"])
	require.Equal(t, float64(597_568), dit["param_count"])
	require.Equal(t, float64(4), dit["architecture"].(map[string]any)["num_heads"])
	require.Equal(t, []any{float64(1), float64(2), float64(2)}, dit["architecture"].(map[string]any)["patch_size"])
	require.Equal(t, map[string]any{"name": "blocks.0.cross_attn.k.bias", "dtype": "float32", "shape": []any{float64(128)}},
		dit["tensors"].([]any)[0])
	t5 := comps[1].(map[string]any)
	require.Nil(t, t5["index"])
	require.Nil(t, t5["config"])
	require.Nil(t, t5["metadata"])
	require.Equal(t, []any{}, t5["problems"])

	// The report decodes back into the Go types.
	var rep struct {
		Version    int `json:"version"`
		Components []struct {
			Architecture mapping.VAEArch `json:"architecture"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, []int{1, 2, 4, 4}, rep.Components[2].Architecture.DimMult)
}

func TestDescribeBadInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	garbageST := write("garbage.safetensors", []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json at all"))
	garbagePth := write("garbage.pth", []byte("this is not a checkpoint"))
	txt := write("notes.txt", []byte("hello"))
	badIndex := write("model.safetensors.index.json", []byte(`{"weight_map": {"a": "missing.safetensors"}}`))
	other := filepath.Join(dir, "other.safetensors")
	writeZeros(t, other, []tensor.Info{{Name: "model.embed_tokens.weight", DType: tensor.F16, Shape: []int64{4, 2}}})
	empty := t.TempDir()
	missing := filepath.Join(dir, "does-not-exist")

	cases := []struct {
		name   string
		path   string
		asJSON bool
		want   []string // substrings of the refusal
	}{
		{"missing", missing, false, []string{missing, "no such file"}},
		{"empty-dir", empty, false, []string{empty, "no Wan2.2 checkpoint found"}},
		{"garbage-safetensors", garbageST, false, []string{garbageST}},
		{"garbage-pth", garbagePth, true, []string{garbagePth}},
		{"unsupported", txt, false, []string{txt, `unsupported file type ".txt"`}},
		{"bad-index", badIndex, false, []string{"missing.safetensors"}},
		{"foreign", other, false, []string{other, "no tensor name belongs to a Wan2.2 DiT, T5 or VAE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errs := describe(c.path, Options{}, c.asJSON)
			require.NotEmpty(t, errs)
			require.Empty(t, out)
			for _, w := range c.want {
				require.Contains(t, errs, w)
			}
		})
	}
}

// TestMainIncomplete: a converted directory missing one tensor and holding
// one with a wrong shape is reported (exit 2) with file and tensor names.
func TestDescribeIncomplete(t *testing.T) {
	dir := writeConverted(t, func(c mapping.Component, infos []tensor.Info) []tensor.Info {
		switch c {
		case mapping.ComponentT5:
			return slices.DeleteFunc(infos, func(i tensor.Info) bool { return i.Name == "blocks.1.ffn.gate.layers.0.weight" })
		case mapping.ComponentVAE:
			for i := range infos {
				if infos[i].Name == "decoder.head.layers.2.weight" {
					infos[i].Shape = []int64{12, 8, 3, 3, 3} // PyTorch layout left in place
				}
			}
		}
		return infos
	})
	out, errs := describe(dir, Options{}, true)
	require.NotEmpty(t, errs)
	t5File := filepath.Join(dir, "t5_encoder_mlx.safetensors")
	vaeFile := filepath.Join(dir, "vae_mlx.safetensors")
	require.Contains(t, errs, t5File+": t5: 1 problem(s)")
	require.Contains(t, errs, "missing tensor blocks.1.ffn.gate.layers.0.weight: required with shape (128, 64)")
	require.Contains(t, errs, vaeFile+": vae: 1 problem(s)")
	require.Contains(t, errs, "wrong-shape tensor decoder.head.layers.2.weight: has shape (12, 8, 3, 3, 3), the architecture requires (12, 3, 3, 3, 8)")

	var rep struct {
		Version    int `json:"version"`
		Components []struct {
			Component mapping.Component `json:"component"`
			Check     string            `json:"check"`
			Problems  []mapping.Problem `json:"problems"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Equal(t, Version, rep.Version)
	checks := map[mapping.Component]string{}
	for _, c := range rep.Components {
		checks[c.Component] = c.Check
	}
	require.Equal(t, map[mapping.Component]string{"dit": "passed", "t5": "failed", "vae": "failed"}, checks)
	require.Equal(t, []mapping.Problem{{Kind: mapping.ProblemMissing, Name: "blocks.1.ffn.gate.layers.0.weight",
		Detail: "required with shape (128, 64)"}}, rep.Components[1].Problems)
	require.Contains(t, out, `"check": "failed"`)
	require.Contains(t, out, `"kind": "missing"`)
}

func TestDescribeMissingComponentIsIncomplete(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "release")
	require.NoError(t, os.CopyFS(dir, os.DirFS(tinyDir)))
	require.NoError(t, os.Remove(filepath.Join(dir, "models_t5_umt5-xxl-enc-bf16.pth")))
	out, errs := describe(dir, Options{}, true)
	require.NotEmpty(t, errs)
	require.Contains(t, errs, "no t5 component found")
	var doc struct {
		Missing []string `json:"missing_components"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), "the report is still printed")
	require.Equal(t, []string{"t5"}, doc.Missing)
}
