package safetensors

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

// shardDir writes two shards (s1: a, b; s2: c) and returns the directory
// and the bytes of every tensor.
func shardDir(t *testing.T) (string, map[string][]byte) {
	dir := t.TempDir()
	data := writeSafetensors(t, filepath.Join(dir, "s1.safetensors"), []HeaderEntry{
		{Name: "a", DType: tensor.F32, Shape: []int64{2, 2}},
		{Name: "b", DType: tensor.BF16, Shape: []int64{3}},
	}, map[string]string{"format": "pt"}, 1)
	for k, v := range writeSafetensors(t, filepath.Join(dir, "s2.safetensors"), []HeaderEntry{
		{Name: "c", DType: tensor.F16, Shape: []int64{1, 4}},
	}, nil, 100) {
		data[k] = v
	}
	return dir, data
}

func writeIndex(t *testing.T, dir, body string) string {
	p := filepath.Join(dir, "model.safetensors.index.json")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

const goodIndex = `{"metadata": {"total_size": 30, "note": {"x": [1]}},
 "weight_map": {"a": "s1.safetensors", "b": "./s1.safetensors", "c": "s2.safetensors"}}`

func TestOpenIndex(t *testing.T) {
	dir, data := shardDir(t)
	idx := writeIndex(t, dir, goodIndex)
	s, err := OpenIndex(idx)
	require.NoError(t, err)
	defer s.Close()

	require.Equal(t, idx, s.Path())
	require.Len(t, s.Shards(), 2, "s1 must be opened once despite two spellings")
	require.Equal(t, map[string]json.RawMessage{
		"total_size": json.RawMessage(`30`), "note": json.RawMessage(`{"x": [1]}`)}, s.Metadata())
	require.Equal(t, []tensor.Info{
		{Name: "a", DType: tensor.F32, Shape: []int64{2, 2}},
		{Name: "b", DType: tensor.BF16, Shape: []int64{3}},
		{Name: "c", DType: tensor.F16, Shape: []int64{1, 4}},
	}, s.Tensors())
	shard, ok := s.ShardOf("c")
	require.True(t, ok)
	require.Equal(t, filepath.Join(dir, "s2.safetensors"), shard.Path())

	for name, want := range data {
		info, ok := s.Lookup(name)
		require.True(t, ok)
		got := make([]byte, info.NumBytes())
		require.NoError(t, s.ReadTensor(name, got))
		require.Equal(t, want, got, name)
		sec, ok, err := s.Section(name)
		require.NoError(t, err)
		require.True(t, ok)
		viaSection := make([]byte, sec.Size())
		_, err = sec.ReadAt(viaSection, 0)
		require.NoError(t, err)
		require.Equal(t, want, viaSection, name)
	}

	_, ok = s.Lookup("zz")
	require.False(t, ok)
	err = s.ReadTensor("zz", nil)
	require.ErrorIs(t, err, ErrTensorNotFound)
	require.Contains(t, err.Error(), idx)
	err = s.ReadTensor("a", make([]byte, 1))
	e := requireKind(t, err, ErrBufferSize, filepath.Join(dir, "s1.safetensors"), "a")
	require.Equal(t, idx, e.Index)
	require.Contains(t, err.Error(), idx)
	require.NoError(t, s.Close())
}

func TestOpenIndexRejects(t *testing.T) {
	s1 := func(dir string) string { return filepath.Join(dir, "s1.safetensors") }
	s2 := func(dir string) string { return filepath.Join(dir, "s2.safetensors") }
	cases := []struct {
		name   string
		body   string
		kind   error
		file   func(dir string) string
		tensor string
	}{
		{"missing shard", `{"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors", "c": "s3.safetensors"}}`,
			ErrMissingShard, func(dir string) string { return filepath.Join(dir, "s3.safetensors") }, "c"},
		{"tensor absent from its shard", `{"weight_map": {"a": "s1.safetensors", "b": "s2.safetensors", "c": "s2.safetensors"}}`,
			ErrTensorNotInShard, s2, "b"},
		{"shard tensor missing from index", `{"weight_map": {"a": "s1.safetensors", "c": "s2.safetensors"}}`,
			ErrTensorNotInIndex, s1, "b"},
		{"parent directory escape", `{"weight_map": {"a": "../s1.safetensors"}}`,
			ErrUnsafeShardPath, func(string) string { return "../s1.safetensors" }, "a"},
		{"nested escape", `{"weight_map": {"a": "sub/../../s1.safetensors"}}`,
			ErrUnsafeShardPath, func(string) string { return "sub/../../s1.safetensors" }, "a"},
		{"absolute path", `{"weight_map": {"a": "/etc/s1.safetensors"}}`,
			ErrUnsafeShardPath, func(string) string { return "/etc/s1.safetensors" }, "a"},
		{"empty shard name", `{"weight_map": {"a": ""}}`,
			ErrUnsafeShardPath, func(string) string { return "" }, "a"},
		{"duplicate weight_map key", `{"weight_map": {"a": "s1.safetensors", "a": "s1.safetensors"}}`,
			ErrDuplicateKey, func(string) string { return "" }, ""},
		{"unknown top-level key", `{"weight_map": {"a": "s1.safetensors"}, "extra": 1}`,
			ErrInvalidIndex, func(string) string { return "" }, ""},
		{"empty weight_map", `{"metadata": {}, "weight_map": {}}`,
			ErrInvalidIndex, func(string) string { return "" }, ""},
		{"no weight_map", `{"metadata": {}}`,
			ErrInvalidIndex, func(string) string { return "" }, ""},
		{"shard name not a string", `{"weight_map": {"a": 1}}`,
			ErrInvalidIndex, func(string) string { return "" }, "a"},
		{"invalid JSON", `{"weight_map": {"a": "s1.safetensors"`,
			ErrInvalidIndex, func(string) string { return "" }, ""},
		{"trailing data", `{"weight_map": {"a": "s1.safetensors"}} x`,
			ErrInvalidIndex, func(string) string { return "" }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := shardDir(t)
			idx := writeIndex(t, dir, tc.body)
			s, err := OpenIndex(idx)
			require.Nil(t, s)
			e := requireKind(t, err, tc.kind, tc.file(dir), tc.tensor)
			require.Equal(t, idx, e.Index)
			require.Contains(t, err.Error(), idx)
		})
	}
}

func TestOpenIndexDuplicateTensor(t *testing.T) {
	dir, _ := shardDir(t)
	writeSafetensors(t, filepath.Join(dir, "s3.safetensors"), []HeaderEntry{
		{Name: "c", DType: tensor.F16, Shape: []int64{1, 4}},
	}, nil, 0)
	idx := writeIndex(t, dir, `{"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors",
		"c": "s2.safetensors", "x": "s3.safetensors"}}`)
	_, err := OpenIndex(idx)
	e := requireKind(t, err, ErrDuplicateTensor, filepath.Join(dir, "s3.safetensors"), "c")
	require.Contains(t, e.Detail, filepath.Join(dir, "s2.safetensors"))
}

func TestOpenIndexInvalidShard(t *testing.T) {
	dir, _ := shardDir(t)
	bad := filepath.Join(dir, "s2.safetensors")
	require.NoError(t, os.WriteFile(bad, []byte{1, 2, 3}, 0o644))
	idx := writeIndex(t, dir, goodIndex)
	_, err := OpenIndex(idx)
	e := requireKind(t, err, ErrTooShort, bad, "")
	require.Equal(t, idx, e.Index)

	_, err = OpenIndex(filepath.Join(dir, "absent.index.json"))
	require.ErrorIs(t, err, ErrRead)
	require.Contains(t, err.Error(), "absent.index.json")
}

func TestOpenAuto(t *testing.T) {
	dir, _ := shardDir(t)
	idx := writeIndex(t, dir, goodIndex)

	src, err := OpenAuto(idx)
	require.NoError(t, err)
	require.IsType(t, &Sharded{}, src)
	require.Len(t, src.Tensors(), 3)
	require.NoError(t, src.Close())

	src, err = OpenAuto(filepath.Join(dir, "s2.safetensors"))
	require.NoError(t, err)
	require.IsType(t, &File{}, src)
	require.Len(t, src.Tensors(), 1)
	require.NoError(t, src.Close())

	src, err = OpenAuto(filepath.Join(dir, "nope.safetensors"))
	require.True(t, src == nil, "a failed open must return a nil interface")
	require.True(t, errors.Is(err, ErrRead))
}
