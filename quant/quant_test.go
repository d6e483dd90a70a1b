package quant

import (
	"bytes"
	"encoding/binary"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/internal/detrand"
	"github.com/wanconv/wanconv/tensor"
)

func quantize(t *testing.T, v []float32, src, out tensor.DType, rows, cols int, p Params) Outputs {
	t.Helper()
	return goQuantize(t, weight{data: encode(v, src), dtype: src, rows: rows, cols: cols}, mlxCase{out: out, p: p})
}

func normals(seed uint64, n int, sigma float64) []float32 {
	g := detrand.New(seed)
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(sigma * g.Normal())
	}
	return v
}

func TestParams(t *testing.T) {
	for _, p := range allParams() {
		require.NoError(t, p.Validate())
	}
	for _, p := range []Params{{Bits: 2, GroupSize: 64}, {Bits: 3, GroupSize: 64}, {Bits: 16, GroupSize: 64},
		{Bits: 4, GroupSize: 16}, {Bits: 8, GroupSize: 256}, {}} {
		require.Error(t, p.Validate(), "%+v", p)
	}
	p4, p8 := Params{Bits: 4, GroupSize: 64}, Params{Bits: 8, GroupSize: 128}
	require.Equal(t, []int64{5120, 1728}, p4.PackedShape(5120, 13824))
	require.Equal(t, []int64{5120, 3456}, p8.PackedShape(5120, 13824))
	require.Equal(t, []int64{5120, 216}, p4.ScalesShape(5120, 13824))
	require.Equal(t, []int64{5120, 108}, p8.ScalesShape(5120, 13824))
	w, s := p4.Sizes(3, 128, tensor.BF16)
	require.Equal(t, [2]int{3 * 64, 3 * 2 * 2}, [2]int{w, s})
	require.Equal(t, 8, p4.PerWord())
	require.Equal(t, 255, p8.Levels())
	require.NoError(t, p4.CheckShape([]int64{3072, 14336}))
	require.ErrorContains(t, p4.CheckShape([]int64{3072, 100}), "input size 100 is not a multiple of the group size 64")
	require.ErrorContains(t, p4.CheckShape([]int64{3072, 64, 1}), "only 2-D")
	require.ErrorContains(t, p4.CheckShape([]int64{0, 64}), "empty")
	require.Equal(t, 10, BlockRows(1000, tensor.F32, 40_000))
	require.Equal(t, 1, BlockRows(1000, tensor.F32, 100))
}

// TestHandWorkedGroup checks one group against values worked out by hand:
// 0, ½, 1, …, 15 (and 15) have min 0 and max 15, so the edge is 15, the
// scale −1 and the bias 15; code = round(15 − v), ties to even.
func TestHandWorkedGroup(t *testing.T) {
	v := make([]float32, 32)
	for i := range v {
		v[i] = float32(i) / 2
	}
	v[31] = 15
	o := quantize(t, v, tensor.F32, tensor.F32, 1, 32, Params{Bits: 4, GroupSize: 32})
	require.Equal(t, float32(-1), fetch(o.Scales, tensor.F32, 0))
	require.Equal(t, float32(15), fetch(o.Biases, tensor.F32, 0))
	// codes of 0 … 3.5: 15 14 14 14 13 12 12 12 (14.5 → 14, 13.5 → 14, 12.5 → 12, 11.5 → 12)
	require.Equal(t, uint32(0xCCCDEEEF), binary.LittleEndian.Uint32(o.Words))
	// codes of 12 … 14.5 and 15: 3 2 2 2 1 0 0 0
	require.Equal(t, uint32(0x00012223), binary.LittleEndian.Uint32(o.Words[12:]))

	// A negative-dominant group: edge −2 at code 0, scale (1 − (−2))/15 = 0.2 refitted
	// to −2/round(−10) = 0.2; 1 maps to code 15.
	v = []float32{-2, 1, -1, 0}
	v = append(v, make([]float32, 28)...)
	o = quantize(t, v, tensor.F32, tensor.BF16, 1, 32, Params{Bits: 4, GroupSize: 32})
	require.Equal(t, float32(0.2001953125), fetch(o.Scales, tensor.BF16, 0)) // 0.2 in bfloat16 (0x3e4d)
	require.Equal(t, []byte{0x4d, 0x3e}, o.Scales)
	require.Equal(t, float32(-2), fetch(o.Biases, tensor.BF16, 0))
	// codes 0, 15, 5, 10, and 10 for the zeros
	require.Equal(t, uint32(0xAAAAA5F0), binary.LittleEndian.Uint32(o.Words))
}

func TestQuantizeRowsErrors(t *testing.T) {
	p := Params{Bits: 4, GroupSize: 64}
	src := make([]byte, 2*128*4)
	nw, ns := p.Sizes(2, 128, tensor.BF16)
	ok := Outputs{Words: make([]byte, nw), Scales: make([]byte, ns), Biases: make([]byte, ns)}
	require.NoError(t, QuantizeRows(ok, src, tensor.F32, tensor.BF16, 2, 128, p))
	for _, c := range []struct {
		dst      Outputs
		src      []byte
		in, out  tensor.DType
		cols     int
		p        Params
		contains string
	}{
		{ok, src, tensor.F32, tensor.BF16, 128, Params{Bits: 3, GroupSize: 64}, "bits 3 not supported"},
		{ok, src, tensor.F32, tensor.BF16, 128, Params{Bits: 4, GroupSize: 48}, "group size 48 not supported"},
		{ok, src, tensor.I32, tensor.BF16, 128, p, "cannot quantize int32 weights"},
		{ok, src, tensor.F64, tensor.BF16, 128, p, "cannot quantize float64 weights"},
		{ok, src, tensor.F32, tensor.I8, 128, p, "cannot store quantization scales as int8"},
		{ok, src[:4*2*96], tensor.F32, tensor.BF16, 96, p, "input size must be a positive multiple of the group size 64"},
		{ok, src[1:], tensor.F32, tensor.BF16, 128, p, "has 1023 bytes, want 1024"},
		{Outputs{Words: ok.Words[1:], Scales: ok.Scales, Biases: ok.Biases}, src, tensor.F32, tensor.BF16, 128, p, "want 128, 8 and 8"},
		{Outputs{Words: ok.Words, Scales: ok.Scales, Biases: nil}, src, tensor.F32, tensor.BF16, 128, p, "have 128, 8 and 0 bytes"},
	} {
		err := QuantizeRows(c.dst, c.src, c.in, c.out, 2, c.cols, c.p)
		require.ErrorContains(t, err, c.contains)
	}
}

// TestBlocksAndWorkersAgree quantizes one weight whole on all cores, one
// goroutine, and in uneven blocks of rows: the bytes are the same.
func TestBlocksAndWorkersAgree(t *testing.T) {
	const rows, cols = 301, 512
	v := normals(7, rows*cols, 0.05)
	for _, src := range []tensor.DType{tensor.F32, tensor.BF16} {
		for _, p := range []Params{{Bits: 4, GroupSize: 64}, {Bits: 8, GroupSize: 32}} {
			data := encode(v, src)
			whole := quantize(t, v, src, tensor.BF16, rows, cols, p)

			prev := runtime.GOMAXPROCS(1)
			serial := quantize(t, v, src, tensor.BF16, rows, cols, p)
			runtime.GOMAXPROCS(max(prev, 3)) // more workers than cores, uneven splits
			uneven := quantize(t, v, src, tensor.BF16, rows, cols, p)
			runtime.GOMAXPROCS(prev)
			require.Equal(t, whole, serial)
			require.Equal(t, whole, uneven)

			nw, ns := p.Sizes(rows, cols, tensor.BF16)
			blocks := Outputs{Words: make([]byte, nw), Scales: make([]byte, ns), Biases: make([]byte, ns)}
			wr, sr := nw/rows, ns/rows
			for lo := 0; lo < rows; {
				hi := min(rows, lo+1+lo%37)
				dst := Outputs{Words: blocks.Words[lo*wr : hi*wr], Scales: blocks.Scales[lo*sr : hi*sr], Biases: blocks.Biases[lo*sr : hi*sr]}
				require.NoError(t, QuantizeRows(dst, data[lo*cols*src.Size():hi*cols*src.Size()], src, tensor.BF16, hi-lo, cols, p))
				lo = hi
			}
			require.True(t, bytes.Equal(whole.Words, blocks.Words) && bytes.Equal(whole.Scales, blocks.Scales) &&
				bytes.Equal(whole.Biases, blocks.Biases), "%s %s: blocks differ from the whole", src, p)
		}
	}
}

// TestDequantizeError bounds the round trip: every value comes back within
// one step (|scale|) of itself, and on average within a quarter step, as
// rounding to nearest gives.
func TestDequantizeError(t *testing.T) {
	const rows, cols = 64, 1024
	v := normals(3, rows*cols, 0.02)
	for _, p := range allParams() {
		o := quantize(t, v, tensor.F32, tensor.F32, rows, cols, p)
		got := make([]float32, rows*cols)
		require.NoError(t, Dequantize(got, o, tensor.F32, rows, cols, p))
		var sum, steps float64
		for i, x := range v {
			s := math.Abs(float64(fetch(o.Scales, tensor.F32, i/p.GroupSize)))
			e := math.Abs(float64(got[i] - x))
			if e > s {
				t.Fatalf("%s element %d: %g back as %g, step %g", p, i, x, got[i], s)
			}
			sum += e
			steps += s
		}
		require.InDelta(t, 0.25, sum/steps, 0.02, "%s: mean error in steps", p)
		// A 8-bit step is 17 times finer than a 4-bit one (255/15).
		t.Logf("%s: mean |error| %.3g (%.3f steps)", p, sum/float64(len(v)), sum/steps)
	}
	require.Error(t, Dequantize(make([]float32, 10), Outputs{}, tensor.F32, 1, 64, Params{Bits: 4, GroupSize: 64}))
}

// TestTinyReleaseWeightError measures the weight error of quantizing the
// tiny release's DiT Linears, relative to each weight's standard deviation:
// the share of a quantized checkpoint's error that comes from its weights.
func TestTinyReleaseWeightError(t *testing.T) {
	srcs := tinyLinears(t)
	for _, out := range []tensor.DType{tensor.F32, tensor.BF16} {
		for _, p := range allParams() {
			var worstRMS, worstMax float64
			for _, w := range srcs {
				c := mlxCase{out: out, p: p}
				o := goQuantize(t, w, c)
				deq := make([]float32, w.rows*w.cols)
				require.NoError(t, Dequantize(deq, o, out, w.rows, w.cols, p))
				v := make([]float32, len(deq))
				loadFor(w.dtype, tensor.F32).decode(v, w.data)
				var sum, sq, esq, emax float64
				for i, x := range v {
					sum += float64(x)
					sq += float64(x) * float64(x)
					e := float64(deq[i] - x)
					esq += e * e
					emax = max(emax, math.Abs(e))
				}
				n := float64(len(v))
				std := math.Sqrt(sq/n - (sum/n)*(sum/n))
				worstRMS = max(worstRMS, math.Sqrt(esq/n)/std)
				worstMax = max(worstMax, emax/std)
			}
			t.Logf("%s as %s: weight error / std: rms %.4f, max %.4f (worst of %d Linears)", p, out.Name(), worstRMS, worstMax, len(srcs))
			// Uniform rounding error of a step of about range/levels: rms ≈ step/√12
			// (4-bit: 0.08 to 0.10 std); at 8 bits bfloat16's own rounding (rms about
			// 2^-9·|w|) dominates.
			switch {
			case p.Bits == 4:
				require.InDelta(t, 0.092, worstRMS, 0.015, "%s as %s", p, out.Name())
			case out == tensor.F32:
				require.InDelta(t, 0.0054, worstRMS, 0.0012, "%s as %s", p, out.Name())
			default:
				require.InDelta(t, 0.0087, worstRMS, 0.0015, "%s as %s", p, out.Name())
			}
		}
	}
}
