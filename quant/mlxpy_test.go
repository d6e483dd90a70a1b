package quant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/tensor"
)

// This file runs mlx.core.quantize from the MLX Python frontend that
// scripts/setup-mlx.sh installs (WANCONV_MLX_PY, set by
// `make -s -f mk/mlx.mk mlx-env`) on the same weights as the Go code.

// weight is a source matrix as stored.
type weight struct {
	data       []byte
	dtype      tensor.DType
	rows, cols int
}

// mlxCase quantizes source src, held by MLX as out, with p.
type mlxCase struct {
	src string
	out tensor.DType
	p   Params
}

func (c mlxCase) String() string {
	return fmt.Sprintf("%s as %s, %d-bit, group %d", c.src, c.out.Name(), c.p.Bits, c.p.GroupSize)
}

// mlxPython returns the MLX Python frontend directory, skipping the test
// visibly when WANCONV_MLX_PY is unset. Once it is set, every failure to run
// Python or MLX fails the test.
func mlxPython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("WANCONV_MLX_PY")
	if py == "" {
		t.Skip("WANCONV_MLX_PY is unset: no MLX Python frontend to compare with " +
			`(eval "$(make -s -f mk/mlx.mk mlx-env)" sets it)`)
	}
	return py
}

const quantizeScript = `
import json, sys
import mlx.core as mx
mx.set_default_device(mx.cpu)
src = mx.load(sys.argv[1])
spec = json.load(open(sys.argv[2]))
out = {}
for key, (name, dtype, bits, group) in spec.items():
    w = src[name].astype(getattr(mx, dtype))
    q, s, b = mx.quantize(w, group_size=group, bits=bits, mode="affine")
    assert q.dtype == mx.uint32 and s.dtype == w.dtype and b.dtype == w.dtype, (q.dtype, s.dtype, w.dtype)
    out[key + ".q"] = q.view(mx.int32)  # same bytes; the test's reader has no U32
    out[key + ".s"] = s
    out[key + ".b"] = b
    out[key + ".d"] = mx.dequantize(q, s, b, group_size=group, bits=bits, mode="affine")
mx.eval(out)
mx.save_safetensors(sys.argv[3], out, metadata={"format": "mlx"})  # MLX writes null metadata otherwise
`

// mlxResult is MLX's quantization of one case and its dequantization.
type mlxResult struct {
	Outputs
	dequantized []byte // in the case's output dtype
}

// mlxQuantize quantizes every case with mlx.core.quantize, dequantizes it
// with mlx.core.dequantize, and returns the results in case order.
func mlxQuantize(t *testing.T, srcs map[string]weight, cases []mlxCase) []mlxResult {
	t.Helper()
	py := mlxPython(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.safetensors")
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range srcs {
			if !yield(n) {
				return
			}
		}
	})
	entries := make([]safetensors.HeaderEntry, len(names))
	for i, n := range names {
		w := srcs[n]
		entries[i] = safetensors.HeaderEntry{Name: n, DType: w.dtype, Shape: []int64{int64(w.rows), int64(w.cols)}}
	}
	writeSafetensors(t, in, entries, func(name string) []byte { return srcs[name].data })

	spec := map[string][4]any{}
	for i, c := range cases {
		spec[fmt.Sprintf("c%d", i)] = [4]any{c.src, c.out.Name(), c.p.Bits, c.p.GroupSize}
	}
	specJSON, err := json.Marshal(spec)
	require.NoError(t, err)
	specPath := filepath.Join(dir, "spec.json")
	require.NoError(t, os.WriteFile(specPath, specJSON, 0o644))

	outPath := filepath.Join(dir, "out.safetensors")
	cmd := exec.Command("python3", "-c", quantizeScript, in, specPath, outPath)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+py)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "mlx.core.quantize failed (WANCONV_MLX_PY=%s):\n%s", py, msg)

	f, err := safetensors.Open(outPath)
	require.NoError(t, err)
	defer f.Close()
	read := func(name string) []byte {
		info, ok := f.Lookup(name)
		require.True(t, ok, "MLX output has no %s", name)
		b := make([]byte, info.NumBytes())
		require.NoError(t, f.ReadTensor(name, b))
		return b
	}
	outs := make([]mlxResult, len(cases))
	for i := range cases {
		key := fmt.Sprintf("c%d", i)
		outs[i] = mlxResult{Outputs{Words: read(key + ".q"), Scales: read(key + ".s"), Biases: read(key + ".b")}, read(key + ".d")}
	}
	return outs
}

func writeSafetensors(t *testing.T, path string, entries []safetensors.HeaderEntry, data func(string) []byte) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := safetensors.NewWriter(f, entries, nil)
	require.NoError(t, err)
	for _, e := range entries {
		require.NoError(t, w.WriteTensor(e.Name, data(e.Name)))
	}
	require.NoError(t, w.Finish())
	require.NoError(t, f.Close())
}

// goQuantize quantizes w for c with QuantizeRows.
func goQuantize(t *testing.T, w weight, c mlxCase) Outputs {
	t.Helper()
	nw, ns := c.p.Sizes(w.rows, w.cols, c.out)
	o := Outputs{Words: make([]byte, nw), Scales: make([]byte, ns), Biases: make([]byte, ns)}
	require.NoError(t, QuantizeRows(o, w.data, w.dtype, c.out, w.rows, w.cols, c.p))
	return o
}

// requireSame compares Go's and MLX's outputs byte for byte and, on a
// difference, names the first group that differs with its inputs.
func requireSame(t *testing.T, w weight, c mlxCase, got, want Outputs) {
	t.Helper()
	groups := w.rows * w.cols / c.p.GroupSize
	wb := c.p.GroupSize * c.p.Bits / 8
	sz := c.out.Size()
	require.Len(t, want.Words, len(got.Words), "%s: packed size", c)
	require.Len(t, want.Scales, len(got.Scales), "%s: scales size", c)
	for g := range groups {
		gw, mw := got.Words[g*wb:(g+1)*wb], want.Words[g*wb:(g+1)*wb]
		gs, ms := got.Scales[g*sz:(g+1)*sz], want.Scales[g*sz:(g+1)*sz]
		gb, mb := got.Biases[g*sz:(g+1)*sz], want.Biases[g*sz:(g+1)*sz]
		if bytes.Equal(gw, mw) && bytes.Equal(gs, ms) && bytes.Equal(gb, mb) {
			continue
		}
		vals := make([]float32, c.p.GroupSize)
		loadFor(w.dtype, c.out).decode(vals, w.data[g*c.p.GroupSize*w.dtype.Size():])
		t.Fatalf("%s: group %d (row %d) differs from mlx.core.quantize\n"+
			"scale go %g (% x) mlx %g (% x)\nbias go %g (% x) mlx %g (% x)\n"+
			"words go % x\n     mlx % x\ninput %v",
			c, g, g*c.p.GroupSize/w.cols,
			fetch(gs, c.out, 0), gs, fetch(ms, c.out, 0), ms,
			fetch(gb, c.out, 0), gb, fetch(mb, c.out, 0), mb, gw, mw, vals)
	}
}
