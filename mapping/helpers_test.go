package mapping

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/tensor"
)

// inventoryFile lists every tensor (name, shape) of the real TI2V-5B release.
var inventoryFile = golden.TI2V5BInventory()

type inventoryComponent struct {
	ParamCount  int64                `json:"param_count"`
	TensorCount int                  `json:"tensor_count"`
	Tensors     [][2]json.RawMessage `json:"tensors"`
}

// loadInventory returns fake tensor descriptions of one TI2V-5B component
// with the dtype the release stores it in.
func loadInventory(t *testing.T, c Component) ([]tensor.Info, inventoryComponent) {
	t.Helper()
	data, err := os.ReadFile(inventoryFile)
	require.NoError(t, err)
	var inv map[string]inventoryComponent
	require.NoError(t, json.Unmarshal(data, &inv))
	comp, ok := inv[string(c)]
	require.True(t, ok, "inventory has no %s", c)
	dt := tensor.F32
	if c == ComponentT5 {
		dt = tensor.BF16
	}
	infos := make([]tensor.Info, 0, len(comp.Tensors))
	for _, pair := range comp.Tensors {
		var name string
		var shape []int64
		require.NoError(t, json.Unmarshal(pair[0], &name))
		require.NoError(t, json.Unmarshal(pair[1], &shape))
		infos = append(infos, tensor.Info{Name: name, DType: dt, Shape: shape})
	}
	return infos, comp
}

// ti2v5BConfig is the config.json of the TI2V-5B release.
const ti2v5BConfig = `{"_class_name": "WanModel", "dim": 3072, "eps": 1e-06, "ffn_dim": 14336,
 "freq_dim": 256, "in_dim": 48, "model_type": "ti2v", "num_heads": 24, "num_layers": 30,
 "out_dim": 48, "text_len": 512}`

// withDType gives required (dtype-less) infos a dtype, as fake sources.
func withDType(infos []tensor.Info, dt tensor.DType) []tensor.Info {
	out := slices.Clone(infos)
	for i := range out {
		out[i].DType = dt
	}
	return out
}

// planErr asserts err is a *PlanError and returns it.
func planErr(t *testing.T, err error) *PlanError {
	t.Helper()
	require.Error(t, err)
	pe, ok := err.(*PlanError)
	require.True(t, ok, "error %T is not a *PlanError: %v", err, err)
	return pe
}
