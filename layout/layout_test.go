package layout

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
)

func TestConvertedNames(t *testing.T) {
	l := Wanconv
	require.Equal(t, "wan_model_mlx.safetensors", l.DiTSingle())
	require.Equal(t, "wan_model_mlx.safetensors.index.json", l.DiTIndex())
	require.Equal(t, "wan_model_mlx.safetensors", l.DiTShard(1, 1))
	require.Equal(t, "wan_model_mlx-00002-of-00003.safetensors", l.DiTShard(2, 3))
	for name, want := range map[string]bool{
		"wan_model_mlx.safetensors":                true,
		"wan_model_mlx-00001-of-00002.safetensors": true,
		"wan_model_mlx-00003-of-00002.safetensors": false, // k > n
		"wan_model_mlx-00000-of-00002.safetensors": false,
		"wan_model_mlx-1-of-2.safetensors":         false, // not zero-padded
		"wan_model_mlx_q4.safetensors":             false, // a user's file
		"wan_model_mlx.safetensors.index.json":     false,
	} {
		require.Equal(t, want, l.IsDiTFile(name), name)
	}
	require.Equal(t, "diffusion_pytorch_model-00001-of-00002.safetensors", ReleaseDiTShard(1, 2))
	got, err := LayoutByName("wanconv")
	require.NoError(t, err)
	require.Equal(t, Wanconv, got)
	_, err = LayoutByName("diffusers")
	require.ErrorContains(t, err, `unknown layout "diffusers"`)
}

func TestDiscoverRelease(t *testing.T) {
	tree, err := OpenTree(golden.TinyRelease())
	require.NoError(t, err)
	defer tree.Close()
	d, err := tree.Discover()
	require.NoError(t, err)
	require.Equal(t, KindRelease, d.Kind)
	require.Empty(t, d.Missing)
	require.Equal(t, filepath.Join(golden.TinyRelease(), ReleaseConfig), d.Config)
	require.Len(t, d.Found, 3)
	dit, ok := d.Get(mapping.ComponentDiT)
	require.True(t, ok)
	require.Equal(t, filepath.Join(golden.TinyRelease(), ReleaseDiTIndex), dit.Path)
	require.Equal(t, mapping.NamingPyTorch, dit.Naming)
	shards, err := tree.Shards(dit.Path)
	require.NoError(t, err)
	require.Equal(t, []string{
		filepath.Join(golden.TinyRelease(), ReleaseDiTShard(1, 2)),
		filepath.Join(golden.TinyRelease(), ReleaseDiTShard(2, 2)),
	}, shards)
	vae, _ := d.Get(mapping.ComponentVAE)
	src, err := tree.Open(vae.Path)
	require.NoError(t, err)
	defer src.Close()
	require.NotEmpty(t, src.Tensors())
}

func TestDiscoverConverted(t *testing.T) {
	dir := t.TempDir()
	_, err := Discover(dir)
	require.ErrorContains(t, err, "no Wan2.2 checkpoint found (expected diffusion_pytorch_model.safetensors, "+
		"models_t5_umt5-xxl-enc-bf16.pth, Wan2.2_VAE.pth or wan_model_mlx.safetensors, t5_encoder_mlx.safetensors, vae_mlx.safetensors)")

	write := func(name, data string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
	write(Wanconv.VAE, "")
	write(Wanconv.DiTSingle(), "")
	d, err := Discover(dir)
	require.NoError(t, err)
	require.Equal(t, KindConverted, d.Kind)
	require.Equal(t, mapping.LayoutWanconv, d.Layout())
	require.Equal(t, []mapping.Component{mapping.ComponentT5}, d.Missing)
	files, cfg, err := ComponentFiles(dir, mapping.ComponentDiT)
	require.NoError(t, err)
	require.Nil(t, cfg)
	require.Equal(t, []string{filepath.Join(dir, Wanconv.DiTSingle())}, files)

	// The index wins over the single file and is read strictly.
	write(Wanconv.DiTIndex(), `{"weight_map": {"a": "wan_model_mlx-00002-of-00002.safetensors", "b": "wan_model_mlx-00001-of-00002.safetensors"}}`)
	write(Config, `{"dim": 8}`)
	files, cfg, err = ComponentFiles(dir, mapping.ComponentDiT)
	require.NoError(t, err)
	require.Equal(t, `{"dim": 8}`, string(cfg))
	require.Equal(t, []string{filepath.Join(dir, Wanconv.DiTShard(1, 2)), filepath.Join(dir, Wanconv.DiTShard(2, 2))}, files)
	write(Wanconv.DiTIndex(), `{"weight_map": {"a": "x.safetensors", "a": "y.safetensors"}}`)
	_, _, err = ComponentFiles(dir, mapping.ComponentDiT)
	require.ErrorContains(t, err, "duplicate")
	write(Wanconv.DiTIndex(), `{"weight_map": {"a": "../x.safetensors"}}`)
	_, _, err = ComponentFiles(dir, mapping.ComponentDiT)
	require.ErrorContains(t, err, "escapes the index directory")

	_, _, err = ComponentFiles(dir, mapping.ComponentT5)
	require.ErrorContains(t, err, "no converted t5 (none of t5_encoder_mlx.safetensors)")

	// A release file beside converted files makes the directory mixed.
	write(ReleaseVAE, "")
	d, err = Discover(dir)
	require.NoError(t, err)
	require.Equal(t, KindMixed, d.Kind)
}

func TestReadSmall(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(p, []byte(`{}`), 0o644))
	tree, err := OpenTree(dir)
	require.NoError(t, err)
	defer tree.Close()
	data, err := tree.ReadSmall(p)
	require.NoError(t, err)
	require.Equal(t, "{}", string(data))
	f, err := os.Create(p)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxConfigSize+1)) // sparse: no memory, no disk
	require.NoError(t, f.Close())
	_, err = tree.ReadSmall(p)
	require.ErrorContains(t, err, "file too large (1048577 bytes, at most 1048576 read)")
	_, err = tree.ReadSmall(dir)
	require.ErrorContains(t, err, "not a regular file")
	data, err = tree.ReadOptional(filepath.Join(dir, "absent.json"))
	require.NoError(t, err)
	require.Nil(t, data)
}
