package vae

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

var tinyReleaseDir = golden.TinyRelease()

// convertTiny converts the tiny release into a temporary dir.
func convertTiny(t testing.TB, dtype string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "converted-"+dtype)
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: tinyReleaseDir, OutDir: out, DType: dtype, Quiet: true,
	})
	require.NoError(t, err)
	return out
}

// The converter's tiny VAE output is exactly the tensor set this package
// requires, and its inferred architecture is the one golden.json records.
func TestConvertedTinyTensorSet(t *testing.T) {
	dir := convertTiny(t, "bfloat16")
	f, err := safetensors.Open(filepath.Join(dir, "vae_mlx.safetensors"))
	require.NoError(t, err)
	defer f.Close()
	infos := f.Tensors()
	require.Equal(t, tensor.BF16, infos[0].DType)
	a, err := archOf(infos)
	require.NoError(t, err)
	g := readGoldenVAE(t)
	require.Equal(t, g.arch(), a)
	require.NoError(t, mapping.CheckRequired(a, infos))
	require.Equal(t, g.ParamCount, tensor.ParamCount(a.RequiredMLX()))
}
