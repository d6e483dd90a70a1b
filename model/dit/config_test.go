package dit

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

var goldenDir = golden.Dir()

// mlxName applies the converter's naming rules to a PyTorch DiT name.
func mlxName(name string) string {
	for _, seq := range []string{"text_embedding.", "time_embedding.", "time_projection.", ".ffn."} {
		if i := strings.Index(name, seq); i >= 0 {
			at := i + len(seq)
			return name[:at] + "layers." + name[at:]
		}
	}
	return name
}

// mlxShape moves a conv weight's input-channel axis to the end.
func mlxShape(name string, shape []int) []int {
	if name != "patch_embedding.weight" {
		return shape
	}
	return append(append([]int{shape[0]}, shape[2:]...), shape[1])
}

// inventoryShapes reads the TI2V-5B tensor inventory as MLX names and shapes.
func inventoryShapes(t *testing.T) map[string][]int {
	data, err := os.ReadFile(filepath.Join(goldenDir, "wan2.2-ti2v-5b.inventory.json"))
	require.NoError(t, err)
	var inv struct {
		DiT struct {
			Tensors [][2]json.RawMessage `json:"tensors"`
		} `json:"dit"`
	}
	require.NoError(t, json.Unmarshal(data, &inv))
	shapes := make(map[string][]int)
	for _, entry := range inv.DiT.Tensors {
		var name string
		var shape []int
		require.NoError(t, json.Unmarshal(entry[0], &name))
		require.NoError(t, json.Unmarshal(entry[1], &shape))
		shapes[mlxName(name)] = mlxShape(name, shape)
	}
	require.Len(t, shapes, 825)
	return shapes
}

// tinyShapes reads the safetensors headers of the tiny release's DiT shards.
func tinyShapes(t *testing.T) map[string][]int {
	shapes := make(map[string][]int)
	for _, f := range []string{"00001", "00002"} {
		path := filepath.Join(goldenDir, "wan2.2-tiny", "diffusion_pytorch_model-"+f+"-of-00002.safetensors")
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		n := binary.LittleEndian.Uint64(raw[:8])
		var header map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw[8:8+n], &header))
		for name, v := range header {
			if name == "__metadata__" {
				continue
			}
			var info struct {
				Shape []int `json:"shape"`
			}
			require.NoError(t, json.Unmarshal(v, &info))
			shapes[mlxName(name)] = mlxShape(name, info.Shape)
		}
	}
	return shapes
}

const ti2v5BConfig = `{"_class_name": "WanModel", "dim": 3072, "eps": 1e-06, "ffn_dim": 14336,
 "freq_dim": 256, "in_dim": 48, "model_type": "ti2v", "num_heads": 24, "num_layers": 30,
 "out_dim": 48, "text_len": 512}`

// infosOf describes MLX-named shapes as float32 tensors for mapping.
func infosOf(shapes map[string][]int) []tensor.Info { return weights.InfosOf(shapes, tensor.F32) }

// archOf infers the architecture of converted tensors as ArchFromWeights
// does (mapping.CheckConverted).
func archOf(infos []tensor.Info, configJSON []byte) (*mapping.DiTArch, error) {
	a, err := mapping.CheckConverted(mapping.ComponentDiT, infos, configJSON)
	if err != nil {
		return nil, err
	}
	return a.(*mapping.DiTArch), nil
}

func TestArchTI2V5B(t *testing.T) {
	shapes := inventoryShapes(t)
	a, err := archOf(infosOf(shapes), []byte(ti2v5BConfig))
	require.NoError(t, err)
	want := &mapping.DiTArch{
		ModelType: "ti2v", PatchSize: []int{1, 2, 2}, TextLen: 512, InDim: 48, Dim: 3072, FFNDim: 14336,
		FreqDim: 256, TextDim: 4096, OutDim: 48, NumHeads: 24, NumLayers: 30, WindowSize: []int{-1, -1},
		QKNorm: true, CrossAttnNorm: true, Eps: 1e-6,
	}
	require.Equal(t, want, a)
	resolved, err := resolveArch(a)
	require.NoError(t, err)
	require.Equal(t, want, resolved) // config.json stated everything
	require.Equal(t, 128, resolved.HeadDim())
	require.Equal(t, int64(4999787712), tensor.ParamCount(resolved.RequiredMLX())) // the release inventory's count
	require.Equal(t, infosOf(shapes), withF32(resolved.RequiredMLX()))
}

// withF32 gives required (dtype-less) tensors the float32 dtype.
func withF32(infos []tensor.Info) []tensor.Info {
	for i := range infos {
		infos[i].DType = tensor.F32
	}
	return infos
}

func TestArchTiny(t *testing.T) {
	configJSON, err := os.ReadFile(filepath.Join(goldenDir, "wan2.2-tiny", "config.json"))
	require.NoError(t, err)
	a, err := archOf(infosOf(tinyShapes(t)), configJSON)
	require.NoError(t, err)
	resolved, err := resolveArch(a)
	require.NoError(t, err)
	require.Equal(t, &mapping.DiTArch{
		ModelType: "ti2v", PatchSize: []int{1, 2, 2}, TextLen: 32, InDim: 48, Dim: 128, FFNDim: 256,
		FreqDim: 64, TextDim: 64, OutDim: 48, NumHeads: 4, NumLayers: 2, WindowSize: []int{-1, -1},
		QKNorm: true, CrossAttnNorm: true, Eps: 1e-6,
	}, resolved)
	require.Equal(t, int64(597568), tensor.ParamCount(resolved.RequiredMLX())) // golden.json param_count
	require.NotSame(t, a, resolved, "the model keeps its own copy")
}

func TestResolveArchDefaultsAndRefusals(t *testing.T) {
	a, err := archOf(infosOf(tinyShapes(t)), nil)
	require.NoError(t, err)
	resolved, err := resolveArch(a)
	require.NoError(t, err)
	require.Equal(t, ModelTypeT2V, resolved.ModelType)
	require.Equal(t, 512, resolved.TextLen)
	require.Equal(t, 16, resolved.NumHeads)
	require.Equal(t, 1e-6, resolved.Eps)
	require.Equal(t, 0, a.NumHeads, "the caller's architecture is left alone")

	_, err = resolveArch(nil)
	require.EqualError(t, err, "dit: no architecture")
	bad := a.Clone()
	bad.ModelType, bad.NumHeads = "s2v", 4
	_, err = resolveArch(bad)
	require.EqualError(t, err, `dit: model_type "s2v" is not supported (want "t2v", "i2v" or "ti2v")`)
	bad.ModelType = "i2v" // in_dim 48 = out_dim 48: no channels for y
	_, err = resolveArch(bad)
	require.EqualError(t, err, "dit: an i2v model takes the noise (out_dim 48 channels) and the conditioning y, so in_dim 48 must be larger")
	bad.ModelType, bad.WindowSize = "ti2v", []int{8, 8}
	_, err = resolveArch(bad)
	require.EqualError(t, err, "dit: window_size [8 8] is not supported (only global attention, [-1, -1])")
	bad.WindowSize, bad.PatchSize, bad.NumHeads = nil, []int{1, 2}, 3
	_, err = resolveArch(bad)
	require.ErrorContains(t, err, "architecture: patch_size [1 2] must have three entries")
	require.ErrorContains(t, err, "architecture: dim 128 is not divisible by num_heads 3")
	require.Len(t, err.(*mapping.PlanError).Problems, 2, "%v", err)
}

func TestOptionsResolve(t *testing.T) {
	o, err := Options{}.resolve()
	require.NoError(t, err)
	require.Equal(t, Options{ComputeDType: tensor.F32}, o)
	o, err = Options{ComputeDType: tensor.BF16, CastAtLoad: true}.resolve()
	require.NoError(t, err)
	require.Equal(t, Options{ComputeDType: tensor.BF16, CastAtLoad: true}, o)
	_, err = Options{ComputeDType: tensor.F16}.resolve()
	require.EqualError(t, err, "dit: compute dtype float16 is not supported (want float32 or bfloat16)")
}

func TestArchErrors(t *testing.T) {
	shapes := tinyShapes(t)
	_, err := archOf(infosOf(shapes), []byte(`{"model_type": "ti2v", "num_heads": 4, "dim": 64, "ffn_dim": 512}`))
	require.ErrorContains(t, err, "config.json has dim 64 but the weights have 128")
	require.ErrorContains(t, err, "config.json has ffn_dim 512 but the weights have 256")
	_, err = archOf(infosOf(shapes), []byte(`{"model_type": "ti2v", "num_heads": 3}`))
	require.ErrorContains(t, err, "dim 128 is not divisible by num_heads 3")
	_, err = archOf(infosOf(shapes), []byte(`{"num_heads": 4,`))
	require.ErrorContains(t, err, "config.json")
	delete(shapes, "text_embedding.layers.0.weight")
	delete(shapes, "time_embedding.layers.0.weight")
	_, err = archOf(infosOf(shapes), nil)
	require.ErrorContains(t, err, "cannot infer text_dim: tensor text_embedding.0.weight is missing")
	require.ErrorContains(t, err, "cannot infer freq_dim: tensor time_embedding.0.weight is missing")
}

func TestArchListsEveryProblem(t *testing.T) {
	shapes := tinyShapes(t)
	delete(shapes, "blocks.1.cross_attn.norm_k.weight")
	shapes["blocks.0.ffn.layers.2.weight"] = []int{128, 255}
	shapes["blocks.0.extra"] = []int{1}
	_, err := archOf(infosOf(shapes), []byte(`{"model_type": "ti2v", "num_heads": 4, "text_len": 32}`))
	require.Equal(t, map[string]mapping.ProblemKind{
		"blocks.0.ffn.layers.2.weight":      mapping.ProblemShape,
		"blocks.1.cross_attn.norm_k.weight": mapping.ProblemMissing,
		"blocks.0.extra":                    mapping.ProblemUnknown,
	}, mapping.ProblemKinds(err), "%v", err)
}

func TestArchWithoutOptionalNorms(t *testing.T) {
	shapes := tinyShapes(t)
	for name := range shapes {
		if strings.Contains(name, "norm_q") || strings.Contains(name, "norm_k") || strings.Contains(name, "norm3") {
			delete(shapes, name)
		}
	}
	a, err := archOf(infosOf(shapes), []byte(`{"model_type": "t2v", "num_heads": 4}`))
	require.NoError(t, err)
	require.False(t, a.QKNorm)
	require.False(t, a.CrossAttnNorm)
	resolved, err := resolveArch(a)
	require.NoError(t, err)
	require.Equal(t, 512, resolved.TextLen) // upstream default
	require.Equal(t, infosOf(shapes), withF32(resolved.RequiredMLX()))
	require.Equal(t, int64(597568-2*(4*128+2*128)), tensor.ParamCount(resolved.RequiredMLX()))
}
