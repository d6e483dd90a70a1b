package safetensors

import (
	"bytes"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

func FuzzParseHeader(f *testing.F) {
	valid, _, err := BuildHeader([]HeaderEntry{
		{Name: "a", DType: tensor.F32, Shape: []int64{2, 2}},
		{Name: "b", DType: tensor.BF16, Shape: []int64{}},
	}, map[string]string{"format": "pt"})
	require.NoError(f, err)
	f.Add(append(valid, make([]byte, 18)...))
	f.Add(image(`{}`, 0))
	f.Add(image(`{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}`, 20))
	f.Add(image(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}`, 24))
	f.Add(image(`{"w":{"dtype":"U8","shape":[99999999999999999999],"data_offsets":[0,0]}}`, 0))
	f.Add(image(`{"__metadata__":{"a":"1","a":"2"}}`, 0))
	f.Add(image(`{"w":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}`, 4))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255})
	f.Add([]byte{1, 2})

	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseBytes(data)
		if err != nil {
			var e *Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, memName, e.File)
			return
		}
		// An accepted file tiles its data area: every tensor is readable,
		// and rebuilding the header in offset order reproduces the layout.
		infos := file.Tensors()
		sort.SliceStable(infos, func(a, b int) bool {
			return file.entries[infos[a].Name].begin < file.entries[infos[b].Name].begin
		})
		entries := make([]HeaderEntry, len(infos))
		var data0 int64
		for i, info := range infos {
			buf := make([]byte, info.NumBytes())
			require.NoError(t, file.ReadTensor(info.Name, buf))
			data0 += int64(len(buf))
			entries[i] = HeaderEntry{Name: info.Name, DType: info.DType, Shape: info.Shape}
		}
		require.Equal(t, int64(len(data))-file.dataStart, data0)
		header, _, err := BuildHeader(entries, file.Metadata())
		require.NoError(t, err)
		again, err := parseBytes(append(header, data[file.dataStart:]...))
		require.NoError(t, err)
		require.Equal(t, file.Tensors(), again.Tensors())
		require.Equal(t, file.Metadata(), again.Metadata())
	})
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(goodIndex))
	f.Add([]byte(`{"weight_map": {"a": "s1.safetensors", "a": "s1.safetensors"}}`))
	f.Add([]byte(`{"metadata": {"total_size": 1e400}, "weight_map": {"a": 1}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := ParseIndex("fuzz.index.json", data)
		if err != nil {
			require.Contains(t, err.Error(), "fuzz.index.json")
			return
		}
		require.NotEmpty(t, idx.WeightMap)
		require.True(t, slices.IsSorted(idx.Shards))
		for _, shard := range idx.WeightMap {
			require.True(t, filepath.IsLocal(shard), shard)
			require.Contains(t, idx.Shards, shard)
		}
		require.True(t, bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")))
	})
}
