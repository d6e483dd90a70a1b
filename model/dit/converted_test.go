package dit

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// convertTiny runs the converter on the tiny release into a temporary dir.
func convertTiny(t testing.TB, dtype string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "converted")
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: filepath.Join(goldenDir, "wan2.2-tiny"), OutDir: out, DType: dtype, Quiet: true,
	})
	require.NoError(t, err)
	return out
}

// headerShapes reads tensor shapes and dtypes from safetensors headers.
func headerShapes(t *testing.T, files []string) (map[string][]int, map[string]string) {
	shapes, dtypes := make(map[string][]int), make(map[string]string)
	for _, path := range files {
		f, err := os.Open(path)
		require.NoError(t, err)
		var n uint64
		require.NoError(t, binary.Read(f, binary.LittleEndian, &n))
		raw := make([]byte, n)
		_, err = f.ReadAt(raw, 8)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		var header map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &header))
		for name, v := range header {
			if name == "__metadata__" {
				continue
			}
			var info struct {
				DType string `json:"dtype"`
				Shape []int  `json:"shape"`
			}
			require.NoError(t, json.Unmarshal(v, &info))
			shapes[name], dtypes[name] = info.Shape, info.DType
		}
	}
	return shapes, dtypes
}

// TestConvertedTinyMatchesArchitecture checks the naming contract with the
// converter: the converted DiT holds exactly the tensors mapping requires
// for the architecture.
func TestConvertedTinyMatchesArchitecture(t *testing.T) {
	dir := convertTiny(t, "")
	files, configJSON, err := layout.ComponentFiles(dir, mapping.ComponentDiT)
	require.NoError(t, err)
	shapes, dtypes := headerShapes(t, files)
	infos := infosOf(shapes)
	for i := range infos {
		infos[i].DType = tensor.BF16
		require.Equal(t, "BF16", dtypes[infos[i].Name], infos[i].Name)
	}
	a, err := archOf(infos, configJSON)
	require.NoError(t, err)
	require.NoError(t, mapping.CheckRequired(a, infos))
	require.Equal(t, int64(597568), tensor.ParamCount(a.RequiredMLX()))
	require.Equal(t, "BF16", dtypes["blocks.0.ffn.layers.0.weight"])
}
