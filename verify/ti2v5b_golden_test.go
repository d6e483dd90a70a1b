package verify

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/internal/synth"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// ti2v5bGolden derives the structural golden of the real TI2V-5B release from
// its inventory: the converted (MLX) tensor set's counts and architectures.
func ti2v5bGolden(t *testing.T) *Golden {
	inv, err := synth.LoadInventory(golden.TI2V5BInventory())
	require.NoError(t, err)
	cfg, err := json.Marshal(synth.TI2V5BConfig())
	require.NoError(t, err)
	g := &Golden{Schema: GoldenSchema,
		Description: "TI2V-5B structural facts (counts, architectures), derived from wan2.2-ti2v-5b.inventory.json",
		Components:  map[mapping.Component]*ComponentGolden{}}
	for name, comp := range map[mapping.Component]synth.Component{mapping.ComponentDiT: inv.DiT, mapping.ComponentT5: inv.T5, mapping.ComponentVAE: inv.VAE} {
		infos := make([]tensor.Info, len(comp.Tensors))
		for i, tt := range comp.Tensors {
			infos[i] = tensor.Info{Name: tt.Name, DType: tensor.BF16, Shape: tt.Shape}
		}
		plan, err := mapping.PlanComponent(name, infos, cfg)
		require.NoError(t, err, name)
		mlxInfos := make([]tensor.Info, len(plan.Entries))
		for i, e := range plan.Entries {
			mlxInfos[i] = tensor.Info{Name: e.Target, DType: tensor.BF16, Shape: e.OutShape}
		}
		arch, err := mapping.CheckConverted(name, mlxInfos, cfg)
		require.NoError(t, err, name)
		archJSON, err := json.Marshal(arch)
		require.NoError(t, err)
		g.Components[name] = &ComponentGolden{ParamCount: tensor.ParamCount(mlxInfos),
			TensorCount: len(mlxInfos), Arch: archJSON}
	}
	return g
}

// TestTI2V5BGolden checks the shipped TI2V-5B golden against the inventory
// (regenerate with WANCONV_UPDATE_GOLDEN=1) and the release's known facts.
func TestTI2V5BGolden(t *testing.T) {
	want := ti2v5bGolden(t)
	require.Equal(t, int64(4_999_787_712), want.Components["dit"].ParamCount)
	require.Equal(t, int64(5_680_910_336), want.Components["t5"].ParamCount)
	require.Equal(t, int64(704_688_668), want.Components["vae"].ParamCount)
	require.Equal(t, 825, want.Components["dit"].TensorCount)
	require.Equal(t, 242, want.Components["t5"].TensorCount)
	require.Equal(t, 196, want.Components["vae"].TensorCount)
	if os.Getenv("WANCONV_UPDATE_GOLDEN") != "" {
		require.NoError(t, want.Save(golden.TI2V5BGolden()))
	}
	got, err := LoadGolden(golden.TI2V5BGolden())
	require.NoError(t, err)
	for name, c := range want.Components {
		g := got.Components[name]
		require.NotNil(t, g, name)
		require.Equal(t, c.ParamCount, g.ParamCount, name)
		require.Equal(t, c.TensorCount, g.TensorCount, name)
		require.JSONEq(t, string(c.Arch), string(g.Arch), name)
	}
	var dit map[string]any
	require.NoError(t, json.Unmarshal(got.Components["dit"].Arch, &dit))
	require.EqualValues(t, 3072, dit["dim"])
	require.EqualValues(t, 30, dit["num_layers"])
	require.EqualValues(t, 24, dit["num_heads"])
}
