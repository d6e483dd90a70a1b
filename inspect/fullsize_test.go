package inspect

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/internal/synth"
)

// TestFullSizeRelease writes a header-complete, sparse TI2V-5B release from
// the inventory (real names, shapes and on-disk dtypes; ~34 GB apparent
// size, almost nothing on disk) and checks what inspect reports for it.
// The speed of the same call is BenchmarkInspectFullSize.
func TestFullSizeRelease(t *testing.T) {
	inv, err := synth.LoadInventory(golden.TI2V5BInventory())
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, synth.WriteRelease(dir, inv, synth.Options{Sparse: true}))

	out, errs := describe(dir, Options{}, true)
	require.Empty(t, errs)
	var doc struct {
		Input      string `json:"input"`
		Components []struct {
			Component    string         `json:"component"`
			ParamCount   int64          `json:"param_count"`
			TensorCount  int            `json:"tensor_count"`
			DTypes       map[string]int `json:"dtypes"`
			Check        string         `json:"check"`
			Architecture map[string]any `json:"architecture"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Equal(t, "release", doc.Input)
	require.Len(t, doc.Components, 3)
	byName := map[string]int{}
	for i, c := range doc.Components {
		byName[c.Component] = i
		require.Equal(t, "passed", c.Check, c.Component)
	}
	dit := doc.Components[byName["dit"]]
	require.Equal(t, int64(4_999_787_712), dit.ParamCount)
	require.Equal(t, 825, dit.TensorCount)
	require.Equal(t, map[string]int{"float32": 825}, dit.DTypes)
	for k, v := range map[string]float64{"num_layers": 30, "dim": 3072, "ffn_dim": 14336, "num_heads": 24,
		"in_dim": 48, "out_dim": 48, "text_dim": 4096, "freq_dim": 256} {
		require.Equal(t, v, dit.Architecture[k], k)
	}
	require.Equal(t, "ti2v", dit.Architecture["model_type"])

	t5 := doc.Components[byName["t5"]]
	require.Equal(t, int64(5_680_910_336), t5.ParamCount)
	require.Equal(t, map[string]int{"bfloat16": 242}, t5.DTypes)
	for k, v := range map[string]float64{"vocab": 256384, "dim": 4096, "num_layers": 24, "num_heads": 64,
		"dim_ffn": 10240, "num_buckets": 32} {
		require.Equal(t, v, t5.Architecture[k], k)
	}

	vae := doc.Components[byName["vae"]]
	require.Equal(t, int64(704_688_668), vae.ParamCount)
	for k, v := range map[string]float64{"dim": 160, "dec_dim": 256, "z_dim": 48} {
		require.Equal(t, v, vae.Architecture[k], k)
	}
	require.Equal(t, []any{false, true, true}, vae.Architecture["temperal_downsample"])
}
