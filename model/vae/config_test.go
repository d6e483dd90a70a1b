package vae

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

var (
	inventoryPath = golden.TI2V5BInventory()
	goldenPath    = golden.TinyFacts()
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

// archOf infers the architecture of converted tensors as ArchFromWeights
// does (mapping.CheckConverted).
func archOf(infos []tensor.Info) (*mapping.VAEArch, error) {
	a, err := mapping.CheckConverted(mapping.ComponentVAE, infos, nil)
	if err != nil {
		return nil, err
	}
	return a.(*mapping.VAEArch), nil
}

// smallArch is a valid architecture with the release's level structure.
func smallArch() *mapping.VAEArch {
	return &mapping.VAEArch{Dim: 16, DecDim: 8, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
		AttnScales: []float64{}, TemperalDownsample: []bool{false, true, true}, TemperalUpsample: []bool{true, true, false}}
}

func TestArchRelease(t *testing.T) {
	shapes := releaseShapes(t)
	a, err := archOf(infosOf(shapes))
	require.NoError(t, err)
	require.Equal(t, &mapping.VAEArch{
		Dim: 160, DecDim: 256, ZDim: 48, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2, AttnScales: []float64{},
		TemperalDownsample: []bool{false, true, true}, TemperalUpsample: []bool{true, true, false},
	}, a)
	resolved, err := resolveArch(a)
	require.NoError(t, err)
	require.Equal(t, a, resolved)
	require.NotSame(t, a, resolved, "the model keeps its own copy")
	required := resolved.RequiredMLX()
	require.Len(t, required, 196)
	require.NoError(t, mapping.CheckRequired(resolved, infosOf(shapes)))
	require.Equal(t, int64(704688668), tensor.ParamCount(required))
	require.Equal(t, 16, spatialFactor(resolved))
	require.Equal(t, 4, temporalFactor(resolved))
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

// arch is the architecture golden.json records (upstream mirrors the
// temporal flags for the decoder).
func (g goldenVAE) arch() *mapping.VAEArch {
	up := slices.Clone(g.Config.TemperalDownsample)
	slices.Reverse(up)
	return &mapping.VAEArch{Dim: g.Config.Dim, DecDim: g.Config.DecDim, ZDim: g.Config.ZDim, DimMult: g.Config.DimMult,
		NumResBlocks: g.Config.NumResBlocks, AttnScales: []float64{}, TemperalDownsample: g.Config.TemperalDownsample,
		TemperalUpsample: up}
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

func TestTinyArchParamCount(t *testing.T) {
	g := readGoldenVAE(t)
	a, err := resolveArch(g.arch())
	require.NoError(t, err)
	require.Equal(t, g.ParamCount, tensor.ParamCount(a.RequiredMLX()))

	// mapping reads the tiny release's .pth as this architecture.
	f, err := pth.Open(filepath.Join(golden.TinyRelease(), "Wan2.2_VAE.pth"))
	require.NoError(t, err)
	defer f.Close()
	inferred, err := mapping.InferVAE(f.Tensors())
	require.NoError(t, err)
	require.Equal(t, g.arch(), inferred)
}

func TestArchListsEveryProblem(t *testing.T) {
	shapes := releaseShapes(t)
	delete(shapes, "decoder.middle.layers.1.to_qkv.weight")
	delete(shapes, "encoder.head.layers.0.gamma")
	shapes["decoder.head.layers.0.gamma"] = []int{256, 1, 1, 1}
	shapes["decoder.extra.weight"] = []int{1}
	_, err := archOf(infosOf(shapes))
	require.Equal(t, map[string]mapping.ProblemKind{
		"decoder.middle.layers.1.to_qkv.weight": mapping.ProblemMissing,
		"encoder.head.layers.0.gamma":           mapping.ProblemMissing,
		"decoder.head.layers.0.gamma":           mapping.ProblemShape,
		"decoder.extra.weight":                  mapping.ProblemUnknown,
	}, mapping.ProblemKinds(err), "%v", err)
	require.ErrorContains(t, err, "missing tensor decoder.middle.layers.1.to_qkv.weight: required with shape (3072, 1, 1, 1024)")
}

func TestArchErrors(t *testing.T) {
	_, err := archOf(nil)
	require.ErrorContains(t, err, "encoder.conv1.weight")

	shapes := releaseShapes(t)
	shapes["encoder.conv1.weight"] = []int{160, 3, 3, 3, 3}
	_, err = archOf(infosOf(shapes))
	require.Equal(t, map[string]mapping.ProblemKind{"encoder.conv1.weight": mapping.ProblemShape}, mapping.ProblemKinds(err), "%v", err)

	shapes = releaseShapes(t)
	shapes["encoder.conv1.weight"] = []int{160, 12, 3, 3}
	_, err = archOf(infosOf(shapes))
	require.ErrorContains(t, err, "encoder.conv1.weight")
}

func TestResolveArch(t *testing.T) {
	_, err := resolveArch(nil)
	require.EqualError(t, err, "vae: no architecture")
	a := smallArch()
	a.AttnScales = []float64{0.5}
	a.NumResBlocks = 0
	_, err = resolveArch(a)
	require.ErrorContains(t, err, "architecture: attn_scales [0.5] must be empty")
	require.ErrorContains(t, err, "architecture: num_res_blocks 0 must be at least 1")
	require.Len(t, err.(*mapping.PlanError).Problems, 2, "%v", err)
	a = smallArch()
	a.TemperalUpsample = []bool{false, true, true}
	_, err = resolveArch(a)
	require.ErrorContains(t, err, "decoder temporal upsample flags [false true true] are not the reverse of the encoder's temporal downsample flags [false true true]")
	a = smallArch()
	a.DimMult = []int{1, 3, 4, 4}
	_, err = resolveArch(a)
	require.ErrorContains(t, err, "do not group into")
	a = smallArch()
	a.ZDim = 16
	_, err = resolveArch(a)
	require.EqualError(t, err, "vae: z_dim 16 does not match the 48 latent normalisation constants of Wan2.2")
}

func TestOptionsResolve(t *testing.T) {
	for in, want := range map[tensor.DType]tensor.DType{tensor.Invalid: tensor.F32, tensor.BF16: tensor.BF16, tensor.F16: tensor.F16} {
		o, err := Options{ComputeDType: in}.resolve()
		require.NoError(t, err)
		require.Equal(t, want, o.ComputeDType)
	}
	_, err := Options{ComputeDType: tensor.F64}.resolve()
	require.EqualError(t, err, "vae: compute dtype float64 is not supported (want float32 or bfloat16 or float16)")
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
	a := smallArch()
	for frames, want := range map[int]int{0: 0, 1: 1, 4: 1, 5: 2, 7: 2, 8: 2, 9: 3, 121: 31} {
		require.Equal(t, want, latentFrames(a, frames), "%d frames", frames)
	}
	for latent, want := range map[int]int{0: 0, 1: 1, 2: 5, 3: 9, 31: 121} {
		require.Equal(t, want, videoFrames(a, latent), "%d latent frames", latent)
	}
	a.TemperalDownsample = []bool{false, false, true}
	require.Equal(t, 2, temporalFactor(a))
	require.Equal(t, 3, latentFrames(a, 5))
}
