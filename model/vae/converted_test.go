package vae

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/convert/safetensors"
)

const tinyReleaseDir = "../../golden/wan2.2-tiny"

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
	shapes := map[string][]int{}
	for _, info := range f.Tensors() {
		s := make([]int, len(info.Shape))
		for i, d := range info.Shape {
			s[i] = int(d)
		}
		shapes[info.Name] = s
	}
	cfg, err := InferConfig(lookupIn(shapes))
	require.NoError(t, err)
	g := readGoldenVAE(t)
	require.Equal(t, Config{
		Dim: g.Config.Dim, DecDim: g.Config.DecDim, ZDim: g.Config.ZDim, DimMult: g.Config.DimMult,
		NumResBlocks: g.Config.NumResBlocks, TemporalDownsample: g.Config.TemperalDownsample,
	}, cfg)
	require.NoError(t, cfg.CheckTensors(namesOf(shapes), lookupIn(shapes)))
	require.Equal(t, g.ParamCount, cfg.ParamCount())
}
