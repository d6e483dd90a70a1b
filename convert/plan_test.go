package convert

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// fullSizeInput is the TI2V-5B release as the planner sees it, from the
// inventory of names and shapes alone: no weight file is involved.
func fullSizeInput(t *testing.T) planInput {
	t.Helper()
	raw, err := os.ReadFile(golden.TI2V5BInventory())
	require.NoError(t, err)
	var inv map[string]struct {
		Tensors [][2]json.RawMessage `json:"tensors"`
	}
	require.NoError(t, json.Unmarshal(raw, &inv))
	stored := map[mapping.Component]tensor.DType{mapping.ComponentDiT: tensor.F32, mapping.ComponentT5: tensor.BF16, mapping.ComponentVAE: tensor.F32}
	in := planInput{kind: mapping.ReleaseTI2V5B, tensors: map[part][]tensor.Info{}, paths: map[part]string{},
		configs: map[part][]byte{partOf(mapping.ComponentDiT): []byte(`{"model_type": "ti2v", "num_heads": 24, "text_len": 512, "eps": 1e-6}`)}}
	for _, c := range mapping.Components {
		in.parts = append(in.parts, partOf(c))
		for _, e := range inv[string(c)].Tensors {
			var info tensor.Info
			require.NoError(t, json.Unmarshal(e[0], &info.Name))
			require.NoError(t, json.Unmarshal(e[1], &info.Shape))
			info.DType = stored[c]
			in.tensors[partOf(c)] = append(in.tensors[partOf(c)], info)
		}
		in.paths[partOf(c)] = "release/" + string(c)
	}
	return in
}

func TestPlanFullSizeFromInventory(t *testing.T) {
	t.Parallel()
	in := fullSizeInput(t)
	for _, c := range []struct {
		dtype  string
		shards int
	}{{"", 3}, {"keep", 5}} {
		opt, err := Options{SrcDir: "r", OutDir: "o", DType: c.dtype}.resolve()
		require.NoError(t, err)
		cp, err := planConversion(in, opt)
		require.NoError(t, err)
		require.Len(t, cp.files, c.shards+2, "dtype %q", c.dtype)
		var params int64
		for k, f := range cp.files[:c.shards] {
			require.Equal(t, layout.Wanconv.DiTShard(k+1, c.shards), f.name)
			require.Equal(t, partOf(mapping.ComponentDiT), f.part)
			require.LessOrEqual(t, f.size-int64(len(f.header)), DefaultMaxShardSize)
			params += f.params
		}
		require.Equal(t, int64(4_999_787_712), params)
		require.Equal(t, layout.Wanconv.T5, cp.files[c.shards].name)
		require.Equal(t, int64(5_680_910_336), cp.files[c.shards].params)
		require.Equal(t, layout.Wanconv.VAE, cp.files[c.shards+1].name)
		require.Equal(t, int64(704_688_668), cp.files[c.shards+1].params)
		// Every file's tensors tile its data area exactly, in target order.
		for _, f := range cp.files {
			off := int64(len(f.header))
			for i, pt := range f.tensors {
				require.Equal(t, off, pt.offset, "%s %s", f.name, pt.target)
				off += pt.size
				if i > 0 {
					require.Less(t, f.tensors[i-1].target, pt.target)
				}
			}
			require.Equal(t, f.size, off, f.name)
		}
	}
	opt, err := Options{SrcDir: "r", OutDir: "o"}.resolve()
	require.NoError(t, err)
	cp, err := planConversion(in, opt)
	require.NoError(t, err)
	pe := findPlanned(t, cp, "patch_embedding.weight")
	require.Equal(t, layoutChannelsLast, pe.op)
	require.Equal(t, []int64{3072, 1, 2, 2, 48}, pe.shape)
	require.Equal(t, tensor.BF16, pe.dtype)
	require.Equal(t, tensor.F32, findPlanned(t, cp, "decoder.conv1.weight").dtype) // VAE stays float32

	// A missing tensor is reported with the component's source path.
	broken := fullSizeInput(t)
	broken.tensors[partOf(mapping.ComponentT5)] = broken.tensors[partOf(mapping.ComponentT5)][1:]
	_, err = planConversion(broken, opt)
	require.ErrorContains(t, err, "release/t5")
}

func findPlanned(t *testing.T, cp *conversionPlan, target string) plannedTensor {
	t.Helper()
	for _, f := range cp.files {
		for _, pt := range f.tensors {
			if pt.target == target {
				return pt
			}
		}
	}
	t.Fatalf("no planned tensor %s", target)
	return plannedTensor{}
}

// memSource serves tensors from memory; sections makes it a SectionSource.
type memSource struct {
	infos []tensor.Info
	data  map[string][]byte
}

func (m *memSource) Path() string           { return "mem" }
func (m *memSource) Tensors() []tensor.Info { return m.infos }
func (m *memSource) Close() error           { return nil }
func (m *memSource) Lookup(name string) (tensor.Info, bool) {
	for _, i := range m.infos {
		if i.Name == name {
			return i, true
		}
	}
	return tensor.Info{}, false
}
func (m *memSource) ReadTensor(name string, dst []byte) error {
	if len(dst) != len(m.data[name]) {
		return fmt.Errorf("bad size")
	}
	copy(dst, m.data[name])
	return nil
}

type memSectionSource struct{ *memSource }

func (m memSectionSource) Section(name string) (tensor.SectionReader, bool, error) {
	return io.NewSectionReader(bytes.NewReader(m.data[name]), 0, int64(len(m.data[name]))), true, nil
}

// memStore keeps output files in memory (fileStore).
type memStore struct {
	mu    sync.Mutex
	files map[string]*memFile
}

type memFile struct{ b []byte }

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if need := off + int64(len(p)); need > int64(len(f.b)) {
		f.b = append(f.b, make([]byte, need-int64(len(f.b)))...)
	}
	return copy(f.b[off:], p), nil
}
func (f *memFile) Sync() error  { return nil }
func (f *memFile) Close() error { return nil }

func (s *memStore) create(name string) (sink, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.files[name]; dup {
		return nil, fmt.Errorf("%s exists", name)
	}
	f := &memFile{}
	s.files[name] = f
	return f, nil
}
func (s *memStore) display(name string) string { return "out/" + name }

// TestWriterExecutesPlan: a hand-made plan (a conv weight moved to
// channels-last and cast to bfloat16, a pass-through tensor, an empty one,
// and a tensor larger than one chunk) written through an in-memory store,
// from sources with and without in-place sections. The file bytes, the file
// hash and every tensor hash are checked against values computed here.
func TestWriterExecutesPlan(t *testing.T) {
	t.Parallel()
	conv := tensor.Info{Name: "conv", DType: tensor.F32, Shape: []int64{3, 2, 1, 2, 2}}
	flat := tensor.Info{Name: "flat", DType: tensor.BF16, Shape: []int64{5}}
	empty := tensor.Info{Name: "empty", DType: tensor.F32, Shape: []int64{0, 4}}
	big := tensor.Info{Name: "big", DType: tensor.BF16, Shape: []int64{chunkBytes/2 + 3}}
	src := &memSource{infos: []tensor.Info{big, conv, empty, flat}, data: map[string][]byte{}}
	for k, info := range src.infos {
		b := make([]byte, info.NumBytes())
		for i := range b {
			b[i] = byte(i*7 + k + 1)
		}
		src.data[info.Name] = b
	}
	convOut := make([]byte, conv.NumBytes()/2)
	castF32ToBF16(convOut, refChannelsLast(src.data["conv"], conv.Shape, 4))
	want := map[string][]byte{"a.big": src.data["big"], "a.conv": convOut, "a.empty": nil, "a.flat": src.data["flat"]}

	for _, sources := range []sourceSet{
		{partOf(mapping.ComponentVAE): src},
		{partOf(mapping.ComponentVAE): memSectionSource{src}},
	} {
		pts := []plannedTensor{
			{part: partOf(mapping.ComponentVAE), info: big, target: "a.big", shape: big.Shape, dtype: tensor.BF16, op: layoutKeep, size: big.NumBytes()},
			{part: partOf(mapping.ComponentVAE), info: conv, target: "a.conv", shape: []int64{3, 1, 2, 2, 2}, dtype: tensor.BF16, op: layoutChannelsLast, size: conv.NumBytes() / 2},
			{part: partOf(mapping.ComponentVAE), info: empty, target: "a.empty", shape: empty.Shape, dtype: tensor.F32, op: layoutKeep},
			{part: partOf(mapping.ComponentVAE), info: flat, target: "a.flat", shape: flat.Shape, dtype: tensor.BF16, op: layoutKeep, size: flat.NumBytes()},
		}
		f, err := layoutFile("x.safetensors", partOf(mapping.ComponentVAE), pts)
		require.NoError(t, err)
		cp := &conversionPlan{files: []*plannedFile{f}, totalSize: f.size}
		store := &memStore{files: map[string]*memFile{}}
		written, warnings, err := writeTensorFiles(context.Background(), cp, sources, store, defaultLimits(), newProgress(nil, false, cp.totalSize))
		require.NoError(t, err)
		require.Empty(t, warnings)
		got := store.files["x.safetensors"].b
		require.Equal(t, f.size, int64(len(got)))
		require.Equal(t, f.header, got[:len(f.header)])
		sum := sha256.Sum256(got)
		require.Equal(t, hex.EncodeToString(sum[:]), written[0].sha256)
		require.Equal(t, f.size, written[0].bytes)
		require.Len(t, written[0].tensorSHA256, 4)
		for _, pt := range f.tensors {
			data := got[pt.offset : pt.offset+pt.size]
			require.Equal(t, len(want[pt.target]), len(data), pt.target)
			if len(data) > 0 {
				require.Equal(t, want[pt.target], data, pt.target)
			}
			s := sha256.Sum256(data)
			require.Equal(t, hex.EncodeToString(s[:]), written[0].tensorSHA256[pt.target], pt.target)
		}
	}
}

// TestWriterCancelled: a cancelled context stops the pipeline with
// context.Canceled and no goroutine left blocked.
func TestWriterCancelled(t *testing.T) {
	t.Parallel()
	info := tensor.Info{Name: "w", DType: tensor.F32, Shape: []int64{4 * chunkBytes / 4}}
	src := &memSource{infos: []tensor.Info{info}, data: map[string][]byte{"w": make([]byte, info.NumBytes())}}
	pts := []plannedTensor{{part: partOf(mapping.ComponentDiT), info: info, target: "w", shape: info.Shape, dtype: tensor.BF16, size: info.NumBytes() / 2}}
	f, err := layoutFile("d.safetensors", partOf(mapping.ComponentDiT), pts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = writeTensorFiles(ctx, &conversionPlan{files: []*plannedFile{f}}, sourceSet{partOf(mapping.ComponentDiT): src},
		&memStore{files: map[string]*memFile{}}, defaultLimits(), newProgress(nil, false, f.size))
	require.ErrorIs(t, err, context.Canceled)
}
