package safetensors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/tensor"
)

var (
	tinyIndex = filepath.Join(golden.TinyRelease(), "diffusion_pytorch_model.safetensors.index.json")
	reference = golden.TinyReference()
)

func TestGoldenTinyIndex(t *testing.T) {
	require.FileExists(t, tinyIndex, "golden fixture is part of the repository")
	raw, err := os.ReadFile(tinyIndex)
	require.NoError(t, err)
	var plain struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	require.NoError(t, json.Unmarshal(raw, &plain))

	s, err := OpenIndex(tinyIndex)
	require.NoError(t, err)
	defer s.Close()

	infos := s.Tensors()
	names := make([]string, len(infos))
	for i, info := range infos {
		names[i] = info.Name
		require.Equal(t, tensor.F32, info.DType, info.Name)
	}
	want := make([]string, 0, len(plain.WeightMap))
	for name := range plain.WeightMap {
		want = append(want, name)
	}
	sort.Strings(want)
	require.Equal(t, want, names)
	require.Len(t, infos, 69)
	require.Equal(t, int64(597568), tensor.ParamCount(infos))
	require.Equal(t, json.RawMessage(`2390272`), s.Metadata()["total_size"])
	require.Len(t, s.Shards(), 2)
	for _, f := range s.Shards() {
		require.Equal(t, map[string]string{"format": "pt"}, f.Metadata())
	}

	// Every tensor is readable through the index; the bytes add up to total_size.
	var total int64
	for _, info := range infos {
		buf := make([]byte, info.NumBytes())
		require.NoError(t, s.ReadTensor(info.Name, buf), info.Name)
		total += int64(len(buf))
	}
	require.Equal(t, int64(2390272), total)
	pe, ok := s.Lookup("patch_embedding.weight")
	require.True(t, ok)
	require.Len(t, pe.Shape, 5, "patch embedding is a Conv3d weight")
}

func TestGoldenReference(t *testing.T) {
	require.FileExists(t, reference, "golden fixture is part of the repository")
	f, err := Open(reference)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, []tensor.Info{
		{Name: "dit.input.context", DType: tensor.F32, Shape: []int64{10, 64}},
		{Name: "dit.input.t", DType: tensor.F32, Shape: []int64{1, 80}},
		{Name: "dit.input.x", DType: tensor.F32, Shape: []int64{48, 3, 8, 12}},
		{Name: "dit.output", DType: tensor.F32, Shape: []int64{48, 3, 8, 12}},
		{Name: "t5.input.ids", DType: tensor.I64, Shape: []int64{1, 24}},
		{Name: "t5.input.mask", DType: tensor.I64, Shape: []int64{1, 24}},
		{Name: "t5.output", DType: tensor.F32, Shape: []int64{1, 24, 64}},
		{Name: "vae.input.video", DType: tensor.F32, Shape: []int64{3, 5, 32, 32}},
		{Name: "vae.output.latent", DType: tensor.F32, Shape: []int64{48, 2, 2, 2}},
		{Name: "vae.output.video", DType: tensor.F32, Shape: []int64{3, 5, 32, 32}},
	}, f.Tensors())
	require.Contains(t, f.Metadata()["producer"], "Wan2.2")
}

func BenchmarkOpenIndex(b *testing.B) {
	for b.Loop() {
		s, err := OpenIndex(tinyIndex)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
