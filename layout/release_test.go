package layout

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
)

func TestExpertNames(t *testing.T) {
	require.Equal(t, []Expert{"high_noise_model", "low_noise_model"}, Experts)
	e, err := ParseExpert("low_noise_model")
	require.NoError(t, err)
	require.Equal(t, ExpertLow, e)
	_, err = ParseExpert("mid_noise_model")
	require.ErrorContains(t, err, `unknown expert "mid_noise_model"`)

	w := Wanconv.ForExpert(ExpertHigh)
	require.Equal(t, "high_noise_model/wan_model_mlx.safetensors", w.DiTSingle())
	require.Equal(t, "high_noise_model/wan_model_mlx.safetensors.index.json", w.DiTIndex())
	require.Equal(t, "high_noise_model/wan_model_mlx-00002-of-00003.safetensors", w.DiTShard(2, 3))
	require.True(t, w.IsDiTFile("high_noise_model/wan_model_mlx-00001-of-00002.safetensors"))
	require.False(t, w.IsDiTFile("wan_model_mlx-00001-of-00002.safetensors"))
	require.Equal(t, "high_noise_model/config.json", Wanconv.ExpertConfig(ExpertHigh))
	require.Equal(t, Wanconv.T5, w.T5)

	m := MLXVideo.ForExpert(ExpertLow)
	require.Equal(t, "low_noise_model.safetensors", m.DiTShard(1, 1))
	require.Equal(t, []string{"low_noise_model.safetensors"}, m.Candidates(mapping.ComponentDiT))
	require.Equal(t, "config.json", MLXVideo.ExpertConfig(ExpertLow))
	require.Equal(t, Wanconv, Wanconv.ForExpert(""))
	require.Equal(t, []string{"high_noise_model/diffusion_pytorch_model.safetensors.index.json",
		"high_noise_model/diffusion_pytorch_model.safetensors"}, ReleaseExpertCandidates(ExpertHigh))
}

func TestDetectTinyA14B(t *testing.T) {
	for k, want := range map[golden.A14B]mapping.ReleaseKind{golden.T2VA14B: mapping.ReleaseT2VA14B, golden.I2VA14B: mapping.ReleaseI2VA14B} {
		dir := golden.TinyA14BRelease(k)
		r, err := detectIn(t, dir)
		require.NoError(t, err, k)
		require.Equal(t, want, r.Kind)
		require.True(t, r.Dual())
		require.Equal(t, []DiTFiles{
			{Expert: ExpertHigh, Checkpoint: "high_noise_model/diffusion_pytorch_model.safetensors.index.json", Config: "high_noise_model/config.json"},
			{Expert: ExpertLow, Checkpoint: "low_noise_model/diffusion_pytorch_model.safetensors.index.json", Config: "low_noise_model/config.json"},
		}, r.DiTs)
		require.Equal(t, "Wan2.1_VAE.pth", r.VAE)
		require.Equal(t, "models_t5_umt5-xxl-enc-bf16.pth", r.T5)

		d, err := Discover(dir)
		require.NoError(t, err)
		require.Equal(t, KindRelease, d.Kind)
		require.Equal(t, want, d.Release)
		require.Empty(t, d.Missing)
		require.Empty(t, d.Config)
		dits := d.DiTs()
		require.Len(t, dits, 2)
		for i, e := range Experts {
			require.Equal(t, e, dits[i].Expert)
			require.Equal(t, filepath.Join(dir, string(e), ReleaseDiTIndex), dits[i].Path)
			require.Equal(t, filepath.Join(dir, string(e), ReleaseConfig), dits[i].Config)
			shards, err := shardsIn(t, dir, dits[i].Path)
			require.NoError(t, err)
			require.Equal(t, []string{filepath.Join(dir, string(e), ReleaseDiTShard(1, 2)), filepath.Join(dir, string(e), ReleaseDiTShard(2, 2))}, shards)
		}
		vae, ok := d.Get(mapping.ComponentVAE)
		require.True(t, ok)
		require.Equal(t, filepath.Join(dir, ReleaseVAE21), vae.Path)
		require.Len(t, d.Found, 4)
	}
	r, err := detectIn(t, golden.TinyRelease())
	require.NoError(t, err)
	require.Equal(t, mapping.ReleaseTI2V5B, r.Kind)
	require.Equal(t, []DiTFiles{{Checkpoint: ReleaseDiTIndex, Config: ReleaseConfig}}, r.DiTs)
	require.Equal(t, ReleaseVAE, r.VAE)
	d, err := Discover(golden.TinyRelease())
	require.NoError(t, err)
	require.Equal(t, mapping.ReleaseTI2V5B, d.Release)
}

// fakeRelease writes empty placeholder files (relative names) into a new
// directory; configs get the given JSON.
func fakeRelease(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	return dir
}

func TestDetectReleaseErrors(t *testing.T) {
	high := "high_noise_model/" + ReleaseDiTIndex
	low := "low_noise_model/" + ReleaseDiTIndex
	for name, c := range map[string]struct {
		files map[string]string
		err   string
	}{
		"one expert": {map[string]string{high: "", ReleaseVAE21: ""},
			"expert low_noise_model is missing (none of low_noise_model/diffusion_pytorch_model.safetensors.index.json, " +
				"low_noise_model/diffusion_pytorch_model.safetensors), but high_noise_model/diffusion_pytorch_model.safetensors.index.json is there"},
		"empty expert folder": {map[string]string{"high_noise_model/config.json": "{}", low: ""},
			"expert high_noise_model is missing"},
		"Wan2.1 VAE, one model": {map[string]string{ReleaseDiTIndex: "", ReleaseVAE21: ""},
			"Wan2.1_VAE.pth is the Wan2.1 VAE of the A14B releases, but there are no high_noise_model/ and low_noise_model/ experts"},
		"Wan2.2 VAE, experts": {map[string]string{high: "", low: "", ReleaseVAE: ""},
			"Wan2.2_VAE.pth is TI2V-5B's Wan2.2 VAE, but this release has the A14B experts"},
		"both VAEs": {map[string]string{high: "", low: "", ReleaseVAE: "", ReleaseVAE21: ""},
			"both Wan2.2_VAE.pth and Wan2.1_VAE.pth"},
		"single and experts": {map[string]string{high: "", low: "", ReleaseDiTSingle: ""},
			"both a single DiT (diffusion_pytorch_model.safetensors) and the A14B experts"},
		"experts disagree": {map[string]string{high: "", low: "", "high_noise_model/config.json": `{"model_type": "t2v"}`,
			"low_noise_model/config.json": `{"model_type": "i2v"}`},
			`the experts disagree: high_noise_model/config.json says model_type "t2v", low_noise_model/config.json "i2v"`},
		"ti2v experts": {map[string]string{high: "", low: "", "high_noise_model/config.json": `{"model_type": "ti2v"}`},
			`high_noise_model/config.json: no Wan2.2 release has model_type "ti2v" with 2 expert(s)`},
		"bad config": {map[string]string{high: "", low: "", "low_noise_model/config.json": `{"model_type": `},
			"low_noise_model/config.json: unexpected end of JSON input"},
	} {
		dir := fakeRelease(t, c.files)
		_, err := detectIn(t, dir)
		require.ErrorContains(t, err, c.err, name)
		_, err = Discover(dir)
		require.ErrorContains(t, err, dir+": ", name)
		require.ErrorContains(t, err, c.err, name)
	}

	// in_dim tells the kind when model_type is absent; absent configs say nothing.
	dir := fakeRelease(t, map[string]string{high: "", low: "", "low_noise_model/config.json": `{"in_dim": 36}`})
	r, err := detectIn(t, dir)
	require.NoError(t, err)
	require.Equal(t, mapping.ReleaseI2VA14B, r.Kind)
	r, err = detectIn(t, fakeRelease(t, map[string]string{high: "", low: ""}))
	require.NoError(t, err)
	require.Equal(t, mapping.ReleaseKind(""), r.Kind)
	// A single model that is not ti2v is no Wan2.2 release kind, but no error.
	r, err = detectIn(t, fakeRelease(t, map[string]string{ReleaseDiTIndex: "", ReleaseConfig: `{"model_type": "t2v"}`}))
	require.NoError(t, err)
	require.Equal(t, mapping.ReleaseKind(""), r.Kind)
}

func TestDiscoverConvertedA14B(t *testing.T) {
	cfg := `{"model_type": "t2v", "num_heads": 4}`
	dir := fakeRelease(t, map[string]string{
		"high_noise_model/wan_model_mlx.safetensors.index.json": "", "high_noise_model/config.json": cfg,
		"low_noise_model/wan_model_mlx.safetensors": "", "low_noise_model/config.json": cfg,
		Wanconv.T5: "", Wanconv.VAE: "", ReleaseConfiguration: "{}",
	})
	d, err := Discover(dir)
	require.NoError(t, err)
	require.Equal(t, KindConverted, d.Kind)
	require.Equal(t, mapping.ReleaseT2VA14B, d.Release)
	require.Equal(t, mapping.LayoutWanconv, d.Layout())
	dits := d.DiTs()
	require.Len(t, dits, 2)
	require.Equal(t, Found{Component: mapping.ComponentDiT, Expert: ExpertHigh, Naming: mapping.NamingMLX, Layout: mapping.LayoutWanconv,
		Path: filepath.Join(dir, "high_noise_model", "wan_model_mlx.safetensors.index.json"), Config: filepath.Join(dir, "high_noise_model", "config.json")}, dits[0])
	require.Equal(t, filepath.Join(dir, "low_noise_model", "wan_model_mlx.safetensors"), dits[1].Path)
	require.Empty(t, d.Missing)
	files, raw, err := ExpertFiles(dir, ExpertLow)
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "low_noise_model", "wan_model_mlx.safetensors")}, files)
	require.Equal(t, cfg, string(raw))

	mv := fakeRelease(t, map[string]string{"high_noise_model.safetensors": "", "low_noise_model.safetensors": "",
		MLXVideo.T5: "", MLXVideo.VAE: "", Config: `{"model_type": "i2v", "dual_model": true}`})
	d, err = Discover(mv)
	require.NoError(t, err)
	require.Equal(t, mapping.ReleaseI2VA14B, d.Release)
	require.Equal(t, mapping.LayoutMLXVideo, d.Layout())
	dits = d.DiTs()
	require.Len(t, dits, 2)
	require.Equal(t, filepath.Join(mv, "low_noise_model.safetensors"), dits[1].Path)
	require.Equal(t, filepath.Join(mv, "config.json"), dits[1].Config)

	_, err = Discover(fakeRelease(t, map[string]string{"high_noise_model.safetensors": "", MLXVideo.VAE: ""}))
	require.ErrorContains(t, err, "expert low_noise_model is missing (none of low_noise_model.safetensors), but high_noise_model.safetensors is there")
	_, err = Discover(fakeRelease(t, map[string]string{"low_noise_model/wan_model_mlx.safetensors": "", Wanconv.DiTSingle(): ""}))
	require.ErrorContains(t, err, "expert high_noise_model is missing")
}

// detectIn runs DetectRelease on dir's tree.
func detectIn(t *testing.T, dir string) (*Release, error) {
	t.Helper()
	tree, err := OpenTree(dir)
	require.NoError(t, err)
	defer tree.Close()
	return tree.DetectRelease()
}

// shardsIn lists path's shards through dir's tree.
func shardsIn(t *testing.T, dir, path string) ([]string, error) {
	t.Helper()
	tree, err := OpenTree(dir)
	require.NoError(t, err)
	defer tree.Close()
	return tree.Shards(path)
}
