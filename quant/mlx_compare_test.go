package quant

import (
	"bytes"
	"maps"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/internal/detrand"
	"github.com/wanconv/wanconv/tensor"
)

// compareWithMLX quantizes every case in Go and with mlx.core.quantize and
// requires identical bytes; Dequantize must give mlx.core.dequantize's
// values exactly once rounded to the output dtype.
func compareWithMLX(t *testing.T, srcs map[string]weight, cases []mlxCase) {
	t.Helper()
	want := mlxQuantize(t, srcs, cases)
	for i, c := range cases {
		w := srcs[c.src]
		got := goQuantize(t, w, c)
		requireSame(t, w, c, got, want[i].Outputs)
		deq := make([]float32, w.rows*w.cols)
		require.NoError(t, Dequantize(deq, got, c.out, w.rows, w.cols, c.p))
		sz := c.out.Size()
		enc := make([]byte, len(deq)*sz)
		for j, x := range deq {
			store(enc[j*sz:], c.out, x)
		}
		if !bytes.Equal(enc, want[i].dequantized) {
			for j := range deq {
				if g, m := enc[j*sz:(j+1)*sz], want[i].dequantized[j*sz:(j+1)*sz]; !bytes.Equal(g, m) {
					t.Fatalf("%s: element %d dequantizes to %g (%s % x), mlx.core.dequantize gives % x",
						c, j, deq[j], c.out.Name(), g, m)
				}
			}
		}
	}
	t.Logf("%d quantizations identical to mlx.core.quantize and mlx.core.dequantize", len(cases))
}

func TestMatchesMLXAdversarial(t *testing.T) {
	v, rows, cols := adversarial()
	srcs := map[string]weight{}
	var cases []mlxCase
	for _, d := range []tensor.DType{tensor.F32, tensor.BF16, tensor.F16} {
		srcs["adv."+d.Name()] = weight{data: encode(v, d), dtype: d, rows: rows, cols: cols}
	}
	for _, p := range allParams() {
		for _, c := range []mlxCase{
			{src: "adv.float32", out: tensor.F32},
			{src: "adv.float32", out: tensor.BF16},
			{src: "adv.float32", out: tensor.F16},
			{src: "adv.bfloat16", out: tensor.BF16},
			{src: "adv.bfloat16", out: tensor.F32},
			{src: "adv.float16", out: tensor.F16},
		} {
			c.p = p
			cases = append(cases, c)
		}
	}
	compareWithMLX(t, srcs, cases)
}

func TestMatchesMLXNonFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	rows, cols := 6, 128
	v := make([]float32, rows*cols)
	for i := range v {
		v[i] = float32(i%37) / 10
	}
	v[5] = nan                           // one NaN among finite values
	v[cols+3] = inf                      // +Inf
	v[2*cols+100] = -inf                 // −Inf
	v[3*cols+1], v[3*cols+2] = inf, -inf // both
	for i := 4 * cols; i < 5*cols; i++ { // all NaN
		v[i] = nan
	}
	v[5*cols] = -nan
	srcs := map[string]weight{}
	var cases []mlxCase
	for _, d := range []tensor.DType{tensor.F32, tensor.BF16} {
		srcs["nf."+d.Name()] = weight{data: encode(v, d), dtype: d, rows: rows, cols: cols}
	}
	for _, p := range allParams() {
		cases = append(cases, mlxCase{src: "nf.float32", out: tensor.F32, p: p},
			mlxCase{src: "nf.bfloat16", out: tensor.BF16, p: p})
	}
	compareWithMLX(t, srcs, cases)
}

// tinyLinears returns the weights of the tiny release's DiT that a
// quantized checkpoint stores quantized, under their PyTorch names.
func tinyLinears(t *testing.T) map[string]weight {
	t.Helper()
	src, err := safetensors.OpenAuto(filepath.Join(golden.TinyRelease(), "diffusion_pytorch_model.safetensors.index.json"))
	require.NoError(t, err)
	defer src.Close()
	out := map[string]weight{}
	linear := regexp.MustCompile(`^blocks\.\d+\.((self|cross)_attn\.[qkvo]|ffn\.[02])\.weight$`)
	for _, info := range src.Tensors() {
		name := info.Name
		if !linear.MatchString(name) { // package mapping, which imports this one, selects the same Linears
			continue
		}
		require.Len(t, info.Shape, 2, name)
		data := make([]byte, info.NumBytes())
		require.NoError(t, src.ReadTensor(info.Name, data))
		out[name] = weight{data: data, dtype: info.DType, rows: int(info.Shape[0]), cols: int(info.Shape[1])}
	}
	return out
}

func TestMatchesMLXTinyRelease(t *testing.T) {
	srcs := tinyLinears(t)
	require.Len(t, srcs, 2*10, "two blocks of ten quantized Linears")
	var cases []mlxCase
	for _, name := range slices.Sorted(maps.Keys(srcs)) {
		require.Equal(t, tensor.F32, srcs[name].dtype, name)
		for _, p := range allParams() {
			cases = append(cases, mlxCase{src: name, out: tensor.F32, p: p}, mlxCase{src: name, out: tensor.BF16, p: p})
		}
	}
	compareWithMLX(t, srcs, cases)
}

// TestMatchesMLXFullWidth quantizes one A14B-sized FFN output weight
// (5120 × 13824, bfloat16, N(0, 0.02²) from detrand seed 5120).
func TestMatchesMLXFullWidth(t *testing.T) {
	mlxPython(t)
	if testing.Short() {
		t.Skip("-short: the 5120 × 13824 comparison moves 140 MB through Python")
	}
	const rows, cols = 5120, 13824
	g := detrand.New(5120)
	v := make([]float32, rows*cols)
	for i := range v {
		v[i] = float32(0.02 * g.Normal())
	}
	srcs := map[string]weight{"ffn2": {data: encode(v, tensor.BF16), dtype: tensor.BF16, rows: rows, cols: cols}}
	compareWithMLX(t, srcs, []mlxCase{
		{src: "ffn2", out: tensor.BF16, p: Params{Bits: 4, GroupSize: 64}},
		{src: "ffn2", out: tensor.BF16, p: Params{Bits: 8, GroupSize: 64}},
	})
}
