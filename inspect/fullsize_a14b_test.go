package inspect

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/internal/synth"
)

// writeFullSizeA14B writes a header-complete, sparse T2V-A14B ("t2v") or
// I2V-A14B ("i2v") release from the inventories (real names, shapes and
// on-disk dtypes; about 126 GB apparent size, almost nothing on disk).
func writeFullSizeA14B(tb testing.TB, modelType string) string {
	tb.Helper()
	inv, err := synth.LoadA14BInventory(golden.A14BInventory())
	require.NoError(tb, err)
	ti2v, err := synth.LoadInventory(golden.TI2V5BInventory())
	require.NoError(tb, err)
	dir := tb.TempDir()
	require.NoError(tb, synth.WriteA14BRelease(dir, modelType, inv, ti2v.T5, synth.Options{Sparse: true}))
	return dir
}

// a14bFacts are the counts (upstream modules on the meta device).
var a14bFacts = map[string]struct {
	params int64
	inDim  float64
}{"t2v": {14_288_491_584, 16}, "i2v": {14_288_901_184, 36}}

// TestFullSizeA14BRelease: inspect reports the release kind, both experts
// with the counts and architecture, the T5 and the Wan2.1 VAE
// (126,892,531 parameters in 194 tensors), every check passed. The speed
// of the same call is BenchmarkInspectFullSizeA14B.
func TestFullSizeA14BRelease(t *testing.T) {
	for _, mt := range []string{"t2v", "i2v"} {
		dir := writeFullSizeA14B(t, mt)
		out, refused := describe(dir, Options{}, true)
		require.Empty(t, refused)
		var doc struct {
			Input      string `json:"input"`
			Release    string `json:"release"`
			Components []struct {
				Component    string         `json:"component"`
				Expert       string         `json:"expert"`
				ParamCount   int64          `json:"param_count"`
				TensorCount  int            `json:"tensor_count"`
				DTypes       map[string]int `json:"dtypes"`
				Files        []string       `json:"files"`
				Check        string         `json:"check"`
				Problems     []any          `json:"problems"`
				Architecture map[string]any `json:"architecture"`
			} `json:"components"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &doc))
		require.Equal(t, "release", doc.Input)
		require.Equal(t, mt+"-A14B", doc.Release)
		require.Len(t, doc.Components, 4)
		for i, expert := range []string{"high_noise_model", "low_noise_model"} {
			c := doc.Components[i]
			require.Equal(t, "dit", c.Component)
			require.Equal(t, expert, c.Expert)
			require.Equal(t, "passed", c.Check, "%s: %v", expert, c.Problems)
			require.Equal(t, a14bFacts[mt].params, c.ParamCount, expert)
			require.Equal(t, 1095, c.TensorCount)
			require.Equal(t, map[string]int{"float32": 1095}, c.DTypes)
			require.Len(t, c.Files, 6)
			for k, v := range map[string]float64{"num_layers": 40, "dim": 5120, "ffn_dim": 13824, "num_heads": 40,
				"in_dim": a14bFacts[mt].inDim, "out_dim": 16, "text_dim": 4096, "freq_dim": 256, "text_len": 512} {
				require.Equal(t, v, c.Architecture[k], "%s %s", expert, k)
			}
			require.Equal(t, mt, c.Architecture["model_type"])
		}
		t5 := doc.Components[2]
		require.Equal(t, "t5", t5.Component)
		require.Equal(t, "passed", t5.Check)
		require.Equal(t, int64(5_680_910_336), t5.ParamCount)
		vae := doc.Components[3]
		require.Equal(t, "vae", vae.Component)
		require.Equal(t, "passed", vae.Check, "%v", vae.Problems)
		require.Equal(t, int64(126_892_531), vae.ParamCount)
		require.Equal(t, 194, vae.TensorCount)
		require.Equal(t, float64(16), vae.Architecture["z_dim"])
		require.Equal(t, float64(96), vae.Architecture["dim"])
	}
}

// BenchmarkInspectFullSizeA14B inspects the sparse full-size T2V-A14B
// release: two experts of 6 shards each, the T5 and the Wan2.1 VAE,
// headers only (the goal: under 0.2 s). Reported: ms per inspect.
func BenchmarkInspectFullSizeA14B(b *testing.B) {
	dir := writeFullSizeA14B(b, "t2v")
	rep, err := Inspect(dir, Options{})
	require.NoError(b, err)
	require.Len(b, rep.Components, 4)
	require.False(b, rep.Failed())
	for b.Loop() {
		if _, err := Inspect(dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
