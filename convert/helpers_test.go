package convert

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

var tinyDir = golden.TinyRelease()

// requireInputError checks that err reports bad options or a bad
// checkpoint (*InputError: exit status 2 of cmd/wanconv).
func requireInputError(t *testing.T, err error) {
	t.Helper()
	var ie *InputError
	require.ErrorAs(t, err, &ie)
}

// requireFailure checks that err is an I/O or internal failure (exit
// status 1 of cmd/wanconv): neither bad input nor a cancellation.
func requireFailure(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	var ie *InputError
	require.False(t, errors.As(err, &ie), "an input error: %v", err)
	require.NotErrorIs(t, err, context.Canceled)
}

// treeFiles lists every path under dir (files and directories), relative.
func treeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			r, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(r))
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	sort.Strings(out)
	return out
}

// copyTree copies a release into a fresh temporary directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "release")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, r), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, r), b, 0o644)
	})
	require.NoError(t, err)
	return dst
}

// tensorData is one tensor with its bytes.
type tensorData struct {
	info tensor.Info
	data []byte
}

// readSource returns every tensor of a source.
func readSource(t *testing.T, src tensor.Source) map[string]tensorData {
	t.Helper()
	out := map[string]tensorData{}
	for _, in := range src.Tensors() {
		b := make([]byte, in.NumBytes())
		require.NoError(t, src.ReadTensor(in.Name, b))
		out[in.Name] = tensorData{in, b}
	}
	return out
}

// readSafetensors reads a single output file, checking its metadata.
func readSafetensors(t *testing.T, path string) map[string]tensorData {
	t.Helper()
	f, err := safetensors.Open(path)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, map[string]string{"format": "mlx"}, f.Metadata(), path)
	return readSource(t, f)
}

// readConverted returns every tensor of a converted directory per component
// (the DiT through its index, so sharded outputs work too).
func readConverted(t *testing.T, dir string) map[mapping.Component]map[string]tensorData {
	t.Helper()
	idx, err := safetensors.OpenIndex(filepath.Join(dir, layout.Wanconv.DiTIndex()))
	require.NoError(t, err)
	defer idx.Close()
	return map[mapping.Component]map[string]tensorData{
		mapping.ComponentDiT: readSource(t, idx),
		mapping.ComponentT5:  readSafetensors(t, filepath.Join(dir, layout.Wanconv.T5)),
		mapping.ComponentVAE: readSafetensors(t, filepath.Join(dir, layout.Wanconv.VAE)),
	}
}

// readRelease returns every tensor of a PyTorch release per component.
func readRelease(t *testing.T, dir string) map[mapping.Component]map[string]tensorData {
	t.Helper()
	dit, err := safetensors.OpenAuto(filepath.Join(dir, srcDiTIndex))
	require.NoError(t, err)
	defer dit.Close()
	t5, err := pth.Open(filepath.Join(dir, srcT5))
	require.NoError(t, err)
	defer t5.Close()
	vae, err := pth.Open(filepath.Join(dir, srcVAE))
	require.NoError(t, err)
	defer vae.Close()
	return map[mapping.Component]map[string]tensorData{
		mapping.ComponentDiT: readSource(t, dit),
		mapping.ComponentT5:  readSource(t, t5),
		mapping.ComponentVAE: readSource(t, vae),
	}
}

// refChannelsLast is the test's own transpose (O, I, s...) → (O, s..., I),
// written as plain index arithmetic over the whole tensor.
func refChannelsLast(data []byte, shape []int64, el int) []byte {
	o, i := shape[0], shape[1]
	s := int64(1)
	for _, d := range shape[2:] {
		s *= d
	}
	out := make([]byte, len(data))
	for a := int64(0); a < o; a++ {
		for b := int64(0); b < i; b++ {
			for c := int64(0); c < s; c++ {
				from := ((a*i+b)*s + c) * int64(el)
				to := ((a*s+c)*i + b) * int64(el)
				copy(out[to:to+int64(el)], data[from:from+int64(el)])
			}
		}
	}
	return out
}

// writeSingleDiT replaces the release's sharded DiT by one safetensors file
// holding the given tensors (sorted by name).
func writeSingleDiT(t *testing.T, dir string, tensors []tensorData) {
	t.Helper()
	require.NoError(t, os.Remove(filepath.Join(dir, srcDiTIndex)))
	shards, _ := filepath.Glob(filepath.Join(dir, "diffusion_pytorch_model-*.safetensors"))
	for _, s := range shards {
		require.NoError(t, os.Remove(s))
	}
	sort.Slice(tensors, func(a, b int) bool { return tensors[a].info.Name < tensors[b].info.Name })
	entries := make([]safetensors.HeaderEntry, len(tensors))
	for i, td := range tensors {
		entries[i] = safetensors.HeaderEntry{Name: td.info.Name, DType: td.info.DType, Shape: td.info.Shape}
	}
	f, err := os.Create(filepath.Join(dir, srcDiTSingle))
	require.NoError(t, err)
	defer f.Close()
	w, err := safetensors.NewWriter(f, entries, nil)
	require.NoError(t, err)
	for _, td := range tensors {
		require.NoError(t, w.WriteTensor(td.info.Name, td.data))
	}
	require.NoError(t, w.Finish())
}

// ditTensors returns the release's DiT tensors as a list.
func ditTensors(t *testing.T, dir string) []tensorData {
	t.Helper()
	var out []tensorData
	for _, td := range readRelease(t, dir)[mapping.ComponentDiT] {
		out = append(out, td)
	}
	return out
}

func f32Bytes(vals ...float32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// failingSink fails with err once more than limit bytes were written.
type failingSink struct {
	sink
	written, limit int64
	err            error
}

func (f *failingSink) WriteAt(p []byte, off int64) (int, error) {
	if f.written+int64(len(p)) > f.limit {
		return 0, f.err
	}
	f.written += int64(len(p))
	return f.sink.WriteAt(p, off)
}

var _ io.WriterAt = (*failingSink)(nil)
