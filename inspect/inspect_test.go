package inspect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mapping"
)

// Parameter counts of the tiny release (golden.json).
var tinyParams = map[mapping.Component]int64{
	mapping.ComponentDiT: 597_568,
	mapping.ComponentT5:  115_264,
	mapping.ComponentVAE: 2_250_772,
}

func TestTinyRelease(t *testing.T) {
	rep, err := Inspect(tinyDir, Options{})
	require.NoError(t, err)
	require.Equal(t, Version, rep.Version)
	require.Equal(t, InputRelease, rep.Input)
	require.Empty(t, rep.MissingComponents)
	require.Len(t, rep.Components, 3)
	want := goldenArchs(t)
	for c, params := range tinyParams {
		cr := component(t, rep, c)
		require.Equal(t, params, cr.ParamCount, c)
		require.Equal(t, CheckPassed, cr.Check, "%s: %v", c, cr.Problems)
		require.Empty(t, cr.Problems)
		require.Equal(t, mapping.NamingPyTorch, cr.Naming)
		require.Equal(t, want[c], cr.Architecture, c)
		require.Nil(t, cr.Tensors)
	}

	dit := component(t, rep, mapping.ComponentDiT)
	require.Equal(t, 69, dit.TensorCount)
	require.Equal(t, int64(597_568*4), dit.Bytes)
	require.Equal(t, map[string]int{"float32": 69}, dit.DTypes)
	require.Equal(t, "safetensors", dit.Format)
	require.Equal(t, filepath.Join(tinyDir, "diffusion_pytorch_model.safetensors.index.json"), *dit.Index)
	require.Equal(t, []string{
		filepath.Join(tinyDir, "diffusion_pytorch_model-00001-of-00002.safetensors"),
		filepath.Join(tinyDir, "diffusion_pytorch_model-00002-of-00002.safetensors"),
	}, dit.Files)
	require.Equal(t, filepath.Join(tinyDir, "config.json"), *dit.Config)

	t5 := component(t, rep, mapping.ComponentT5)
	require.Equal(t, map[string]int{"bfloat16": 22}, t5.DTypes)
	require.Equal(t, int64(115_264*2), t5.Bytes)
	require.Nil(t, t5.Index)
	require.Nil(t, t5.Config)
	require.Equal(t, "pth-zip", t5.Format)

	vae := component(t, rep, mapping.ComponentVAE)
	require.Equal(t, 196, vae.TensorCount)
	require.Equal(t, int64(2_250_772*4), vae.Bytes)
}

func TestTinySingleFiles(t *testing.T) {
	want := goldenArchs(t)
	cases := []struct {
		file   string
		input  string
		comp   mapping.Component
		check  string
		params int64
	}{
		{"diffusion_pytorch_model.safetensors.index.json", InputIndex, mapping.ComponentDiT, CheckPassed, 597_568},
		{"models_t5_umt5-xxl-enc-bf16.pth", InputPth, mapping.ComponentT5, CheckPassed, 115_264},
		{"Wan2.2_VAE.pth", InputPth, mapping.ComponentVAE, CheckPassed, 2_250_772},
		{"diffusion_pytorch_model-00002-of-00002.safetensors", InputSafetensors, mapping.ComponentDiT, CheckSkipped, 0},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			rep, err := Inspect(filepath.Join(tinyDir, c.file), Options{})
			require.NoError(t, err)
			require.Equal(t, c.input, rep.Input)
			require.Len(t, rep.Components, 1)
			cr := rep.Components[0]
			require.Equal(t, c.comp, cr.Component)
			require.Equal(t, mapping.NamingPyTorch, cr.Naming)
			require.Equal(t, c.check, cr.Check)
			if c.check == CheckSkipped {
				require.Nil(t, cr.Architecture)
				require.Greater(t, cr.ParamCount, int64(0))
				require.Less(t, cr.ParamCount, int64(597_568))
				return
			}
			require.Equal(t, c.params, cr.ParamCount)
			require.Equal(t, want[c.comp], cr.Architecture)
		})
	}
}

func TestConvertedDir(t *testing.T) {
	dir := writeConverted(t, nil)
	rep, err := Inspect(dir, Options{})
	require.NoError(t, err)
	require.Equal(t, InputConverted, rep.Input)
	require.Empty(t, rep.MissingComponents)
	want := goldenArchs(t)
	for c, params := range tinyParams {
		cr := component(t, rep, c)
		require.Equal(t, mapping.NamingMLX, cr.Naming, c)
		require.Equal(t, CheckPassed, cr.Check, "%s: %v", c, cr.Problems)
		require.Equal(t, params, cr.ParamCount, c)
		require.Equal(t, 2*params, cr.Bytes, c)
		require.Equal(t, want[c], cr.Architecture, c)
		if c != mapping.ComponentDiT {
			require.Equal(t, `"mlx"`, string(cr.Metadata["format"]), c)
		}
	}
	dit := component(t, rep, mapping.ComponentDiT)
	require.Len(t, dit.Files, 2)
	require.Equal(t, `1195136`, string(dit.Metadata["total_size"]), "index metadata")

	// A converted single file is detected as MLX-named by its names.
	rep, err = Inspect(filepath.Join(dir, "vae_mlx.safetensors"), Options{})
	require.NoError(t, err)
	require.Equal(t, mapping.ComponentVAE, rep.Components[0].Component)
	require.Equal(t, mapping.NamingMLX, rep.Components[0].Naming)
	require.Equal(t, CheckPassed, rep.Components[0].Check)
}

func TestPartialDirectory(t *testing.T) {
	dir := writeConverted(t, nil)
	require.NoError(t, os.Remove(filepath.Join(dir, "t5_encoder_mlx.safetensors")))
	rep, err := Inspect(dir, Options{})
	require.NoError(t, err)
	require.Equal(t, []mapping.Component{mapping.ComponentT5}, rep.MissingComponents)
	require.Len(t, rep.Components, 2)
}
