package vae

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

const (
	inventoryPath = "../../golden/wan2.2-ti2v-5b.inventory.json"
	goldenPath    = "../../golden/wan2.2-tiny.reference/golden.json"
)

// sequentialNames are the module names whose numbered children the
// converter renames to layers.N.
var sequentialNames = map[string]bool{
	"downsamples": true, "upsamples": true, "middle": true, "head": true, "residual": true, "resample": true,
}

// toMLX applies the converter's naming and layout rules to one PyTorch VAE
// tensor (test-side restatement, so the inference is checked against the
// real release inventory independently of the mapping package).
func toMLX(name string, shape []int) (string, []int) {
	parts := strings.Split(name, ".")
	var out []string
	for i, p := range parts {
		out = append(out, p)
		if sequentialNames[p] && i+1 < len(parts) {
			if _, err := strconv.Atoi(parts[i+1]); err == nil {
				out = append(out, "layers")
			}
		}
	}
	mlxName := strings.Join(out, ".")
	switch {
	case strings.HasSuffix(name, ".gamma"):
		shape = shape[:1]
	case strings.HasSuffix(name, ".weight") && len(shape) >= 4:
		moved := append([]int{shape[0]}, shape[2:]...)
		shape = append(moved, shape[1])
	}
	return mlxName, shape
}

func releaseShapes(t *testing.T) map[string][]int {
	t.Helper()
	raw, err := os.ReadFile(inventoryPath)
	require.NoError(t, err)
	var inv struct {
		VAE struct {
			ParamCount  int64                `json:"param_count"`
			TensorCount int                  `json:"tensor_count"`
			Tensors     [][2]json.RawMessage `json:"tensors"`
		} `json:"vae"`
	}
	require.NoError(t, json.Unmarshal(raw, &inv))
	shapes := map[string][]int{}
	for _, tt := range inv.VAE.Tensors {
		var name string
		var shape []int
		require.NoError(t, json.Unmarshal(tt[0], &name))
		require.NoError(t, json.Unmarshal(tt[1], &shape))
		n, s := toMLX(name, shape)
		shapes[n] = s
	}
	require.Len(t, shapes, inv.VAE.TensorCount)
	return shapes
}

// infosOf describes MLX-named shapes as float32 tensors for mapping.
func infosOf(shapes map[string][]int) []tensor.Info { return weights.InfosOf(shapes, tensor.F32) }

func TestConfigFromArchRelease(t *testing.T) {
	shapes := releaseShapes(t)
	cfg, err := ConfigFromTensors(infosOf(shapes))
	require.NoError(t, err)
	require.Equal(t, Config{
		Dim: 160, DecDim: 256, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
		TemporalDownsample: []bool{false, true, true},
	}, cfg)
	required := cfg.Arch().RequiredMLX()
	require.Len(t, required, 196)
	require.NoError(t, mapping.CheckRequired(cfg.Arch(), infosOf(shapes)))
	require.Equal(t, int64(704688668), cfg.ParamCount())
	require.Equal(t, 16, cfg.SpatialFactor())
	require.Equal(t, 4, cfg.TemporalFactor())
}

type goldenVAE struct {
	Config struct {
		Dim                int    `json:"dim"`
		DecDim             int    `json:"dec_dim"`
		ZDim               int    `json:"z_dim"`
		DimMult            []int  `json:"dim_mult"`
		NumResBlocks       int    `json:"num_res_blocks"`
		TemperalDownsample []bool `json:"temperal_downsample"`
	} `json:"config"`
	ParamCount   int64     `json:"param_count"`
	LatentMean   []float64 `json:"latent_mean"`
	LatentInvStd []float64 `json:"latent_inv_std"`
}

func readGoldenVAE(t *testing.T) goldenVAE {
	t.Helper()
	raw, err := os.ReadFile(filepath.FromSlash(goldenPath))
	require.NoError(t, err)
	var g struct {
		VAE goldenVAE `json:"vae"`
	}
	require.NoError(t, json.Unmarshal(raw, &g))
	return g.VAE
}

func TestTinyConfigParamCount(t *testing.T) {
	g := readGoldenVAE(t)
	cfg := Config{
		Dim: g.Config.Dim, DecDim: g.Config.DecDim, ZDim: g.Config.ZDim, DimMult: g.Config.DimMult,
		NumResBlocks: g.Config.NumResBlocks, TemporalDownsample: g.Config.TemperalDownsample,
	}
	require.NoError(t, cfg.Validate())
	require.Equal(t, g.ParamCount, cfg.ParamCount())

	// The architecture round-trips through mapping, and mapping reads the
	// tiny release's .pth as this configuration.
	back, err := ConfigFromArch(cfg.Arch())
	require.NoError(t, err)
	require.Equal(t, cfg, back)
	f, err := pth.Open(filepath.Join("..", "..", "golden", "wan2.2-tiny", "Wan2.2_VAE.pth"))
	require.NoError(t, err)
	defer f.Close()
	arch, err := mapping.InferVAE(f.Tensors())
	require.NoError(t, err)
	back, err = ConfigFromArch(arch)
	require.NoError(t, err)
	require.Equal(t, cfg, back)
}

func TestConfigFromTensorsListsEveryProblem(t *testing.T) {
	shapes := releaseShapes(t)
	delete(shapes, "decoder.middle.layers.1.to_qkv.weight")
	delete(shapes, "encoder.head.layers.0.gamma")
	shapes["decoder.head.layers.0.gamma"] = []int{256, 1, 1, 1}
	shapes["decoder.extra.weight"] = []int{1}
	_, err := ConfigFromTensors(infosOf(shapes))
	require.Equal(t, map[string]mapping.ProblemKind{
		"decoder.middle.layers.1.to_qkv.weight": mapping.ProblemMissing,
		"encoder.head.layers.0.gamma":           mapping.ProblemMissing,
		"decoder.head.layers.0.gamma":           mapping.ProblemShape,
		"decoder.extra.weight":                  mapping.ProblemUnknown,
	}, mapping.ProblemKinds(err), "%v", err)
	require.ErrorContains(t, err, "missing tensor decoder.middle.layers.1.to_qkv.weight: required with shape (3072, 1, 1, 1024)")
}

func TestConfigFromTensorsErrors(t *testing.T) {
	_, err := ConfigFromTensors(nil)
	require.ErrorContains(t, err, "encoder.conv1.weight")

	shapes := releaseShapes(t)
	shapes["encoder.conv1.weight"] = []int{160, 3, 3, 3, 3}
	_, err = ConfigFromTensors(infosOf(shapes))
	require.Equal(t, map[string]mapping.ProblemKind{"encoder.conv1.weight": mapping.ProblemShape}, mapping.ProblemKinds(err), "%v", err)

	shapes = releaseShapes(t)
	shapes["encoder.conv1.weight"] = []int{160, 12, 3, 3}
	_, err = ConfigFromTensors(infosOf(shapes))
	require.ErrorContains(t, err, "encoder.conv1.weight")
}

func TestConfigFromArchRefusals(t *testing.T) {
	good := Config{Dim: 16, DecDim: 8, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
		TemporalDownsample: []bool{false, true, true}}
	a := good.Arch()
	require.Equal(t, []bool{true, true, false}, a.TemperalUpsample)
	a.AttnScales = []float64{0.5}
	_, err := ConfigFromArch(a)
	require.ErrorContains(t, err, "attention in the resolution levels (attn_scales [0.5]) is not supported")
	a = good.Arch()
	a.TemperalUpsample = []bool{false, true, true}
	_, err = ConfigFromArch(a)
	require.ErrorContains(t, err, "temperal_upsample [false true true] is not the reverse of temperal_downsample [false true true]")
	a = good.Arch()
	a.NumResBlocks = 0
	_, err = ConfigFromArch(a)
	require.ErrorContains(t, err, "num_res_blocks = 0")
}

func TestConfigValidate(t *testing.T) {
	good := Config{Dim: 16, DecDim: 8, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
		TemporalDownsample: []bool{false, true, true}}
	require.NoError(t, good.Validate())
	bad := good
	bad.TemporalDownsample = []bool{true}
	require.ErrorContains(t, bad.Validate(), "temperal_downsample has 1 flags, want 3")
	bad = good
	bad.NumResBlocks = 0
	require.ErrorContains(t, bad.Validate(), "num_res_blocks = 0")
	bad = good
	bad.DimMult = []int{1, 3, 4, 4}
	require.ErrorContains(t, bad.Validate(), "do not group into")
}

func TestLatentStatsMatchGolden(t *testing.T) {
	g := readGoldenVAE(t)
	require.Len(t, g.LatentMean, 48)
	require.Len(t, g.LatentInvStd, 48)
	mean, inv := LatentMean(), LatentInvStd()
	for i := range 48 {
		// golden.json stores the float32 values widened to float64, so the
		// comparison is exact.
		require.Equal(t, float32(g.LatentMean[i]), mean[i], "mean[%d]", i)
		require.Equal(t, float32(g.LatentInvStd[i]), inv[i], "inv_std[%d]", i)
		require.Equal(t, g.LatentMean[i], float64(mean[i]), "mean[%d] widened", i)
		require.Equal(t, g.LatentInvStd[i], float64(inv[i]), "inv_std[%d] widened", i)
	}
}

func TestSyntheticVideo(t *testing.T) {
	a := SyntheticVideo(5, 16, 24, 7)
	require.Len(t, a, 3*5*16*24)
	require.Equal(t, a, SyntheticVideo(5, 16, 24, 7))
	require.NotEqual(t, a, SyntheticVideo(5, 16, 24, 8))
	var sum, sq float64
	for _, v := range a {
		require.LessOrEqual(t, v, float32(1))
		require.GreaterOrEqual(t, v, float32(-1))
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(a))
	std := sq/n - (sum/n)*(sum/n)
	require.Greater(t, std, 0.02, "video should not be flat")
	// Frames differ (the gratings drift).
	frame := 16 * 24
	require.NotEqual(t, a[:frame], a[frame:2*frame])
	require.Nil(t, SyntheticVideo(0, 16, 16, 1))
}

func TestFrameCounts(t *testing.T) {
	cfg := Config{Dim: 16, DecDim: 8, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
		TemporalDownsample: []bool{false, true, true}}
	for frames, want := range map[int]int{0: 0, 1: 1, 4: 1, 5: 2, 7: 2, 8: 2, 9: 3, 121: 31} {
		require.Equal(t, want, cfg.LatentFrames(frames), "%d frames", frames)
	}
	for latent, want := range map[int]int{0: 0, 1: 1, 2: 5, 3: 9, 31: 121} {
		require.Equal(t, want, cfg.VideoFrames(latent), "%d latent frames", latent)
	}
	cfg.TemporalDownsample = []bool{false, false, true}
	require.Equal(t, 2, cfg.TemporalFactor())
	require.Equal(t, 3, cfg.LatentFrames(5))
}

func TestConfigJSONNames(t *testing.T) {
	cfg := Config{Dim: 160, DecDim: 256, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
		TemporalDownsample: []bool{false, true, true}}
	raw, err := json.Marshal(cfg)
	require.NoError(t, err)
	require.JSONEq(t, `{"dim":160,"dec_dim":256,"z_dim":48,"dim_mult":[1,2,4,4],"num_res_blocks":2,
		"temperal_downsample":[false,true,true]}`, string(raw))
}
