package t5

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// tinyConfig is the golden tiny encoder (golden.json "t5.config").
func tinyConfig() Config {
	return Config{Vocab: 512, Dim: 64, DimAttn: 64, DimFFN: 128, NumHeads: 4, NumLayers: 2,
		NumBuckets: 32, MaxDistance: DefaultMaxDistance, Eps: DefaultEps}
}

// infosOf describes the tensors of c as bfloat16 converted weights.
func infosOf(c Config) []tensor.Info {
	infos := c.Arch().RequiredMLX()
	for i := range infos {
		infos[i].DType = tensor.BF16
	}
	return infos
}

// edit returns infos without the named tensors, then with the added ones.
func edit(infos []tensor.Info, drop []string, add ...tensor.Info) []tensor.Info {
	var out []tensor.Info
	for _, t := range infos {
		if !slices.Contains(drop, t.Name) {
			out = append(out, t)
		}
	}
	return append(out, add...)
}

func TestConfigFromArchRoundTrip(t *testing.T) {
	for _, want := range []Config{tinyConfig(), UMT5XXL()} {
		got, err := ConfigFromArch(want.Arch())
		require.NoError(t, err)
		require.Equal(t, want, got)
		got, err = ConfigFromTensors(infosOf(want))
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

// TestConfigFromArchRelease checks the configuration of the TI2V-5B
// release's encoder (its tensor inventory, PyTorch names) and of the tiny
// release's .pth.
func TestConfigFromArchRelease(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "golden", "wan2.2-ti2v-5b.inventory.json"))
	require.NoError(t, err)
	var inv struct {
		T5 struct {
			Tensors [][2]json.RawMessage `json:"tensors"`
		} `json:"t5"`
	}
	require.NoError(t, json.Unmarshal(data, &inv))
	var infos []tensor.Info
	for _, pair := range inv.T5.Tensors {
		var info tensor.Info
		require.NoError(t, json.Unmarshal(pair[0], &info.Name))
		require.NoError(t, json.Unmarshal(pair[1], &info.Shape))
		infos = append(infos, info)
	}
	require.Len(t, infos, 242)
	arch, err := mapping.InferT5(infos)
	require.NoError(t, err)
	cfg, err := ConfigFromArch(arch)
	require.NoError(t, err)
	require.Equal(t, UMT5XXL(), cfg)

	f, err := pth.Open(filepath.Join("..", "..", "golden", "wan2.2-tiny", "models_t5_umt5-xxl-enc-bf16.pth"))
	require.NoError(t, err)
	defer f.Close()
	arch, err = mapping.InferT5(f.Tensors())
	require.NoError(t, err)
	cfg, err = ConfigFromArch(arch)
	require.NoError(t, err)
	require.Equal(t, tinyConfig(), cfg)
}

func TestParamCount(t *testing.T) {
	require.Equal(t, int64(115264), tinyConfig().ParamCount()) // golden.json t5.param_count
	// umt5-xxl encoder: 256384·4096 + 24·(4·4096² + 3·4096·10240 + 2·4096 + 32·64) + 4096.
	require.Equal(t, int64(5680910336), UMT5XXL().ParamCount())
	require.Len(t, tinyConfig().Arch().RequiredMLX(), 1+2*10+1)
}

func TestConfigFromTensorsErrors(t *testing.T) {
	infos := edit(infosOf(tinyConfig()), []string{"token_embedding.weight", "blocks.0.pos_embedding.embedding.weight"})
	_, err := ConfigFromTensors(infos)
	require.ErrorContains(t, err, "cannot infer vocab: tensor token_embedding.weight is missing")

	infos = edit(infosOf(tinyConfig()), nil, tensor.Info{Name: "blocks.3.norm1.weight", DType: tensor.BF16, Shape: []int64{64}})
	_, err = ConfigFromTensors(infos)
	kinds := mapping.ProblemKinds(err)
	require.Len(t, kinds, 19, "%v", err) // blocks 2 and 3 lack everything but blocks.3.norm1.weight
	require.Equal(t, mapping.ProblemMissing, kinds["blocks.2.attn.q.weight"])
	require.Equal(t, mapping.ProblemMissing, kinds["blocks.3.ffn.gate.layers.0.weight"])

	infos = edit(infosOf(tinyConfig()), []string{"blocks.0.pos_embedding.embedding.weight", "blocks.1.pos_embedding.embedding.weight"},
		tensor.Info{Name: "blocks.0.pos_embedding.embedding.weight", DType: tensor.BF16, Shape: []int64{32, 5}},
		tensor.Info{Name: "blocks.1.pos_embedding.embedding.weight", DType: tensor.BF16, Shape: []int64{32, 5}})
	_, err = ConfigFromTensors(infos)
	require.ErrorContains(t, err, "dim_attn 64 is not divisible by num_heads 5")
}

func TestConfigFromTensorsListsEveryProblem(t *testing.T) {
	infos := edit(infosOf(tinyConfig()), []string{"blocks.1.ffn.fc2.weight", "blocks.0.attn.o.weight"},
		tensor.Info{Name: "blocks.0.attn.o.weight", DType: tensor.BF16, Shape: []int64{64, 32}},
		tensor.Info{Name: "blocks.0.ffn.gate.0.weight", DType: tensor.BF16, Shape: []int64{128, 64}},
		tensor.Info{Name: "blocks.0.ffn.fc1.bias", DType: tensor.BF16, Shape: []int64{128}})
	_, err := ConfigFromTensors(infos)
	require.Equal(t, map[string]mapping.ProblemKind{
		"blocks.1.ffn.fc2.weight":    mapping.ProblemMissing,
		"blocks.0.attn.o.weight":     mapping.ProblemShape,
		"blocks.0.ffn.gate.0.weight": mapping.ProblemUnknown,
		"blocks.0.ffn.fc1.bias":      mapping.ProblemUnknown,
	}, mapping.ProblemKinds(err), "%v", err)
}

func TestValidate(t *testing.T) {
	require.NoError(t, tinyConfig().Validate())
	bad := tinyConfig()
	bad.Dim = 0
	bad.NumBuckets = 6 // even but max_distance fine; 6/4 = 1 exact bucket is allowed
	bad.Eps = 0
	err := bad.Validate()
	require.ErrorContains(t, err, "dim = 0")
	require.ErrorContains(t, err, "eps = 0")
	require.NotContains(t, err.Error(), "num_buckets")

	bad = tinyConfig()
	bad.NumBuckets = 31
	require.ErrorContains(t, bad.Validate(), "num_buckets = 31")
	bad = tinyConfig()
	bad.MaxDistance = 8
	require.ErrorContains(t, bad.Validate(), "max_distance 8 must exceed the exact range 8")
}

func TestConfigFromArchRefusesSharedPositions(t *testing.T) {
	a := tinyConfig().Arch()
	a.SharedPos = true
	_, err := ConfigFromArch(a)
	require.ErrorContains(t, err, "shared_pos=true")

	// A converted set with one encoder-level table: mapping infers shared_pos.
	infos := edit(infosOf(tinyConfig()), []string{"blocks.0.pos_embedding.embedding.weight", "blocks.1.pos_embedding.embedding.weight"},
		tensor.Info{Name: "pos_embedding.embedding.weight", DType: tensor.BF16, Shape: []int64{32, 4}})
	_, err = ConfigFromTensors(infos)
	require.ErrorContains(t, err, "t5: a shared relative position table (shared_pos=true, tensor pos_embedding.embedding.weight) is not supported")
}
