package inspect

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/tensor"
)

// TestTensorsOfAnyCheckpoint: --tensors lists a .safetensors or .pth whose
// tensors belong to no Wan2.2 component (exit 0, check "unrecognised", no
// architecture); without --tensors the file is still refused.
func TestTensorsOfAnyCheckpoint(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "llama.safetensors")
	writeZeros(t, st, []tensor.Info{
		{Name: "model.embed_tokens.weight", DType: tensor.F16, Shape: []int64{8, 4}},
		{Name: "lm_head.weight", DType: tensor.BF16, Shape: []int64{8, 4}},
	})
	pt := filepath.Join(dir, "resnet.pth")
	f, err := os.Create(pt)
	require.NoError(t, err)
	require.NoError(t, pth.WriteZip(f, "resnet", []pth.Tensor{
		{Name: "fc.weight", DType: tensor.F32, Shape: []int64{3, 2}},
		{Name: "bn.num_batches_tracked", DType: tensor.I64, Shape: []int64{}},
	}))
	require.NoError(t, f.Close())

	out, errs := describe(st, Options{Tensors: true}, false)
	require.Empty(t, errs)
	require.Contains(t, out, "checkpoint (safetensors, no Wan2.2 component recognised)")
	require.Regexp(t, `\n    lm_head\.weight +bfloat16 +\(8, 4\)\n`, out)
	require.Regexp(t, `\n    model\.embed_tokens\.weight +float16 +\(8, 4\)\n`, out)
	require.Regexp(t, `\n  check +unrecognised\n`, out)

	out, errs = describe(pt, Options{Tensors: true}, true)
	require.Empty(t, errs)
	var doc struct {
		Components []struct {
			Component    string
			Check        string
			Architecture any
			ParamCount   int64 `json:"param_count"`
			Tensors      []TensorEntry
		}
	}
	require.Contains(t, out, `"shape": []`)
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.Components, 1)
	c := doc.Components[0]
	require.Equal(t, "", c.Component)
	require.Equal(t, CheckUnrecognised, c.Check)
	require.Nil(t, c.Architecture)
	require.Equal(t, int64(7), c.ParamCount)
	require.Equal(t, []TensorEntry{
		{Name: "bn.num_batches_tracked", DType: "int64", Shape: []int64{}},
		{Name: "fc.weight", DType: "float32", Shape: []int64{3, 2}},
	}, c.Tensors)

	_, errs = describe(pt, Options{}, false)
	require.NotEmpty(t, errs)
	require.Contains(t, errs, "no tensor name belongs to a Wan2.2 DiT, T5 or VAE")
	require.Contains(t, errs, "inspect --tensors lists")
}
