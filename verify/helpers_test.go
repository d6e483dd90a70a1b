package verify

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// convertTiny converts the shipped tiny release into a temp dir.
func convertTiny(t *testing.T, dtype string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: golden.TinyRelease(), OutDir: out, DType: dtype, Quiet: true})
	require.NoError(t, err)
	return out
}

// runVerify verifies o with the command line's defaults for what o leaves
// unset (every component, the CPU, --stream-dit auto) and returns the exit
// code, the report as the command line prints it (text, or JSON with
// o.JSON) and the run's error ("" if none).
func runVerify(t *testing.T, o Options) (int, string, string) {
	t.Helper()
	if o.Components == nil {
		o.Components = slices.Clone(mapping.Components)
	}
	if o.Device == "" {
		o.Device = "cpu"
	}
	if o.StreamDiT == "" {
		o.StreamDiT = "auto"
	}
	require.NoError(t, o.Validate())
	rep := Run(o)
	var stdout bytes.Buffer
	if o.JSON {
		require.NoError(t, rep.WriteJSON(&stdout))
	} else {
		rep.WriteText(&stdout)
	}
	return rep.ExitCode, stdout.String(), rep.Error
}

// rewriteSafetensors rebuilds a safetensors file, letting mutate change the
// entries (names, shapes) and their data before writing.
func rewriteSafetensors(t *testing.T, path string, mutate func(entries []safetensors.HeaderEntry, data [][]byte)) {
	t.Helper()
	src, err := safetensors.Open(path)
	require.NoError(t, err)
	infos := src.Tensors()
	entries := make([]safetensors.HeaderEntry, len(infos))
	data := make([][]byte, len(infos))
	for i, in := range infos {
		entries[i] = safetensors.HeaderEntry{Name: in.Name, DType: in.DType, Shape: in.Shape}
		data[i] = make([]byte, in.NumBytes())
		require.NoError(t, src.ReadTensor(in.Name, data[i]))
	}
	meta := src.Metadata()
	require.NoError(t, src.Close())
	mutate(entries, data)
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := safetensors.NewWriter(f, entries, meta)
	require.NoError(t, err)
	for i, e := range entries {
		require.NoError(t, w.WriteTensor(e.Name, data[i]))
	}
	require.NoError(t, w.Finish())
	require.NoError(t, f.Close())
}

// tensorOffset finds where a tensor's bytes start in its file.
func tensorOffset(t *testing.T, path, name string) (int64, tensor.Info) {
	t.Helper()
	src, err := safetensors.Open(path)
	require.NoError(t, err)
	defer src.Close()
	sec, ok, err := src.Section(name)
	require.NoError(t, err)
	require.True(t, ok)
	info, _ := src.Lookup(name)
	_, off, _ := sec.(*io.SectionReader).Outer()
	return off, info
}
