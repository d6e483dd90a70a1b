package t5

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// tinyArch is the golden tiny encoder (golden.json "t5.config").
func tinyArch() *mapping.T5Arch {
	return &mapping.T5Arch{Vocab: 512, Dim: 64, DimAttn: 64, DimFFN: 128, NumHeads: 4, NumLayers: 2, NumBuckets: 32}
}

// umt5XXL is the umt5-xxl encoder shipped with Wan2.2.
func umt5XXL() *mapping.T5Arch {
	return &mapping.T5Arch{Vocab: 256384, Dim: 4096, DimAttn: 4096, DimFFN: 10240, NumHeads: 64, NumLayers: 24, NumBuckets: 32}
}

// archOf infers the architecture of converted tensors as ArchFromWeights
// does (mapping.CheckConverted).
func archOf(infos []tensor.Info) (*mapping.T5Arch, error) {
	a, err := mapping.CheckConverted(mapping.ComponentT5, infos, nil)
	if err != nil {
		return nil, err
	}
	return a.(*mapping.T5Arch), nil
}

// infosOf describes the tensors of a as bfloat16 converted weights.
func infosOf(a *mapping.T5Arch) []tensor.Info {
	infos := a.RequiredMLX()
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

func TestArchRoundTrip(t *testing.T) {
	for _, want := range []*mapping.T5Arch{tinyArch(), umt5XXL()} {
		got, err := resolveArch(want)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.NotSame(t, want, got, "the model keeps its own copy")
		got, err = archOf(infosOf(want))
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

// TestArchRelease checks the architecture of the TI2V-5B
// release's encoder (its tensor inventory, PyTorch names) and of the tiny
// release's .pth.
func TestArchRelease(t *testing.T) {
	data, err := os.ReadFile(golden.TI2V5BInventory())
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
	require.Equal(t, umt5XXL(), arch)

	f, err := pth.Open(filepath.Join(golden.TinyRelease(), "models_t5_umt5-xxl-enc-bf16.pth"))
	require.NoError(t, err)
	defer f.Close()
	arch, err = mapping.InferT5(f.Tensors())
	require.NoError(t, err)
	require.Equal(t, tinyArch(), arch)
}

func TestParamCount(t *testing.T) {
	require.Equal(t, int64(115264), tensor.ParamCount(tinyArch().RequiredMLX())) // golden.json t5.param_count
	// umt5-xxl encoder: 256384·4096 + 24·(4·4096² + 3·4096·10240 + 2·4096 + 32·64) + 4096.
	require.Equal(t, int64(5680910336), tensor.ParamCount(umt5XXL().RequiredMLX()))
	require.Len(t, tinyArch().RequiredMLX(), 1+2*10+1)
}

func TestArchErrors(t *testing.T) {
	infos := edit(infosOf(tinyArch()), []string{"token_embedding.weight", "blocks.0.pos_embedding.embedding.weight"})
	_, err := archOf(infos)
	require.ErrorContains(t, err, "cannot infer vocab: tensor token_embedding.weight is missing")

	infos = edit(infosOf(tinyArch()), nil, tensor.Info{Name: "blocks.3.norm1.weight", DType: tensor.BF16, Shape: []int64{64}})
	_, err = archOf(infos)
	// A stray block index is bounded by the tensors present (issue #10):
	// one tensor cannot make the architecture two blocks deeper.
	require.ErrorContains(t, err, "index blocks.3 is beyond what the 21 blocks.* tensors present can hold (each needs at least 8)")

	infos = edit(infosOf(tinyArch()), []string{"blocks.0.pos_embedding.embedding.weight", "blocks.1.pos_embedding.embedding.weight"},
		tensor.Info{Name: "blocks.0.pos_embedding.embedding.weight", DType: tensor.BF16, Shape: []int64{32, 5}},
		tensor.Info{Name: "blocks.1.pos_embedding.embedding.weight", DType: tensor.BF16, Shape: []int64{32, 5}})
	_, err = archOf(infos)
	require.ErrorContains(t, err, "dim_attn 64 is not divisible by num_heads 5")
}

func TestArchListsEveryProblem(t *testing.T) {
	infos := edit(infosOf(tinyArch()), []string{"blocks.1.ffn.fc2.weight", "blocks.0.attn.o.weight"},
		tensor.Info{Name: "blocks.0.attn.o.weight", DType: tensor.BF16, Shape: []int64{64, 32}},
		tensor.Info{Name: "blocks.0.ffn.gate.0.weight", DType: tensor.BF16, Shape: []int64{128, 64}},
		tensor.Info{Name: "blocks.0.ffn.fc1.bias", DType: tensor.BF16, Shape: []int64{128}})
	_, err := archOf(infos)
	require.Equal(t, map[string]mapping.ProblemKind{
		"blocks.1.ffn.fc2.weight":    mapping.ProblemMissing,
		"blocks.0.attn.o.weight":     mapping.ProblemShape,
		"blocks.0.ffn.gate.0.weight": mapping.ProblemUnknown,
		"blocks.0.ffn.fc1.bias":      mapping.ProblemUnknown,
	}, mapping.ProblemKinds(err), "%v", err)
}

func TestResolveArch(t *testing.T) {
	_, err := resolveArch(nil)
	require.EqualError(t, err, "t5: no architecture")
	bad := tinyArch()
	bad.Dim, bad.NumBuckets = 0, 31
	_, err = resolveArch(bad)
	require.ErrorContains(t, err, "architecture: dim 0 must be positive")
	require.ErrorContains(t, err, "architecture: num_buckets 31 must be even and at least 4")
	require.Len(t, err.(*mapping.PlanError).Problems, 2, "%v", err)

	a := tinyArch()
	a.SharedPos = true
	_, err = resolveArch(a)
	require.ErrorContains(t, err, "shared_pos=true")

	// A converted set with one encoder-level table: mapping infers shared_pos.
	infos := edit(infosOf(tinyArch()), []string{"blocks.0.pos_embedding.embedding.weight", "blocks.1.pos_embedding.embedding.weight"},
		tensor.Info{Name: "pos_embedding.embedding.weight", DType: tensor.BF16, Shape: []int64{32, 4}})
	a, err = archOf(infos)
	require.NoError(t, err)
	require.True(t, a.SharedPos)
	_, err = resolveArch(a)
	require.EqualError(t, err, "t5: a shared relative position table (shared_pos=true, tensor pos_embedding.embedding.weight) is not supported; umt5 has one per block")
}

func TestOptionsResolve(t *testing.T) {
	o, err := Options{}.resolve()
	require.NoError(t, err)
	require.Equal(t, Options{ComputeDType: tensor.F32}, o)
	o, err = Options{ComputeDType: tensor.BF16}.resolve()
	require.NoError(t, err)
	require.Equal(t, tensor.BF16, o.ComputeDType)
	_, err = Options{ComputeDType: tensor.F16}.resolve()
	require.EqualError(t, err, "t5: compute dtype float16 is not supported (want float32 or bfloat16)")
}
