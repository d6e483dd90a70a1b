package quant

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/tensor"
)

// finiteAdversarial is the adversarial data without the patterns whose
// quantization is not finite (a range beyond float32's, or float16's when
// big is false).
func finiteAdversarial(big bool) (v []float32, rows, cols int) {
	all, rows, cols := adversarial()
	for i, x := range all {
		if math.Abs(float64(x)) > 1e38 || (!big && math.Abs(float64(x)) > 6e4) {
			all[i] = 0
		}
	}
	return all, rows, cols
}

func TestCheckAcceptsQuantizedWeights(t *testing.T) {
	for _, out := range []tensor.DType{tensor.F32, tensor.BF16, tensor.F16} {
		v, rows, cols := finiteAdversarial(out != tensor.F16)
		for _, p := range allParams() {
			o := quantize(t, v, tensor.F32, out, rows, cols, p)
			require.NoError(t, Check(o, out, rows, cols, p), "%s, %s", out, p)
		}
		w := normals(11, 128*512, 0.02)
		for _, p := range allParams() {
			o := quantize(t, w, tensor.F32, out, 128, 512, p)
			require.NoError(t, Check(o, out, 128, 512, p), "%s, %s", out, p)
		}
	}
}

func TestCheckRejectsBrokenGroups(t *testing.T) {
	p := Params{Bits: 4, GroupSize: 64}
	const rows, cols = 4, 256
	fresh := func() Outputs {
		return quantize(t, normals(5, rows*cols, 0.02), tensor.F32, tensor.BF16, rows, cols, p)
	}
	put := func(b []byte, i int, v float32) { store(b[2*i:], tensor.BF16, v) }

	o := fresh()
	put(o.Scales, 5, float32(math.NaN()))
	require.ErrorContains(t, Check(o, tensor.BF16, rows, cols, p),
		"1 of 16 quantization groups inconsistent; first: row 1, group 1 (columns 64 to 127): scale NaN is not finite")
	o = fresh()
	put(o.Biases, 2, float32(math.Inf(-1)))
	put(o.Biases, 9, float32(math.Inf(1)))
	require.ErrorContains(t, Check(o, tensor.BF16, rows, cols, p), "2 of 16 quantization groups inconsistent; first: row 0, group 2 (columns 128 to 191): bias -Inf is not finite")
	o = fresh()
	put(o.Scales, 15, 0)
	require.ErrorContains(t, Check(o, tensor.BF16, rows, cols, p), "row 3, group 3 (columns 192 to 255): scale is 0")
	o = fresh()
	put(o.Biases, 0, 0)
	require.ErrorContains(t, Check(o, tensor.BF16, rows, cols, p), "row 0, group 0 (columns 0 to 63): bias 0 with scale")
	o = fresh()
	put(o.Biases, 0, fetch(o.Scales, tensor.BF16, 0)/2)
	require.ErrorContains(t, Check(o, tensor.BF16, rows, cols, p), "is below 1")
	o = fresh()
	clear(o.Words[32:64]) // group 1: every value at the bias
	require.ErrorContains(t, Check(o, tensor.BF16, rows, cols, p), "group 1 (columns 64 to 127): largest code")
	require.ErrorContains(t, Check(fresh(), tensor.BF16, rows, cols+64, p), "has 512, 32 and 32 bytes")
}

// TestCheckCatchesFlippedWords inverts the bits of each packed word of a
// quantized weight in turn: Check must reject every flip of the word that
// holds the only code 0 of its group (the value at the bias). Other flips
// give codes some other weights would have had, which only a comparison
// with the source weights (or a hash) can tell.
func TestCheckCatchesFlippedWords(t *testing.T) {
	const rows, cols = 16, 512
	for _, p := range []Params{{Bits: 4, GroupSize: 64}, {Bits: 8, GroupSize: 64}, {Bits: 4, GroupSize: 128}} {
		o := quantize(t, normals(9, rows*cols, 0.02), tensor.F32, tensor.BF16, rows, cols, p)
		require.NoError(t, Check(o, tensor.BF16, rows, cols, p))
		words := len(o.Words) / 4
		wordsPerGroup := p.GroupSize / p.PerWord()
		caught, mustCatch := 0, 0
		for w := range words {
			orig := binary.LittleEndian.Uint32(o.Words[4*w:])
			binary.LittleEndian.PutUint32(o.Words[4*w:], ^orig)
			err := Check(o, tensor.BF16, rows, cols, p)
			binary.LittleEndian.PutUint32(o.Words[4*w:], orig)
			if err != nil {
				caught++
				require.Contains(t, err.Error(), "1 of ")
			}
			g := w / wordsPerGroup
			zeros, tops := codesAt(o.Words[4*g*wordsPerGroup:4*(g+1)*wordsPerGroup], p)
			if len(zeros) == 1 && zeros[0]/p.PerWord() == w%wordsPerGroup && !slices.ContainsFunc(tops,
				func(j int) bool { return j/p.PerWord() == w%wordsPerGroup }) {
				mustCatch++
				require.Error(t, err, "%s: flipping word %d hides the code 0 of group %d", p, w, g)
			}
		}
		require.Greater(t, mustCatch, rows*cols/p.GroupSize/2, "%s: most groups have a single code 0 away from the top code", p)
		frac := float64(caught) / float64(words)
		t.Logf("%s: %d of %d flipped words caught (%.0f%%), %d of them necessarily", p, caught, words, 100*frac, mustCatch)
		require.GreaterOrEqual(t, caught, mustCatch, p)
	}
}

// codesAt lists the positions of the codes 0 and 2^bits − 1 in one group's
// words.
func codesAt(words []byte, p Params) (zeros, tops []int) {
	for j := range len(words) * 8 / p.Bits {
		c := binary.LittleEndian.Uint32(words[4*(j/p.PerWord()):]) >> (uint(j%p.PerWord()) * uint(p.Bits)) & uint32(p.Levels())
		switch c {
		case 0:
			zeros = append(zeros, j)
		case uint32(p.Levels()):
			tops = append(tops, j)
		}
	}
	return zeros, tops
}

// TestCheckRejectsNonFiniteWeights: NaN-only or infinite groups quantize
// (as MLX does) to non-finite scales, which Check reports.
func TestCheckRejectsNonFiniteWeights(t *testing.T) {
	p := Params{Bits: 8, GroupSize: 32}
	v := normals(1, 2*64, 1)
	v[40] = float32(math.Inf(1))
	for i := 64; i < 96; i++ {
		v[i] = float32(math.NaN())
	}
	o := quantize(t, v, tensor.F32, tensor.BF16, 2, 64, p)
	require.ErrorContains(t, Check(o, tensor.BF16, 2, 64, p), "2 of 4 quantization groups inconsistent; first: row 0, group 1 (columns 32 to 63): scale NaN is not finite")
}

// CheckRows names rows of the whole weight when checking a block of it.
func TestCheckRowsNamesAbsoluteRows(t *testing.T) {
	p := Params{Bits: 8, GroupSize: 32}
	const rows, cols = 6, 64
	o := quantize(t, normals(9, rows*cols, 0.02), tensor.F32, tensor.BF16, rows, cols, p)
	store(o.Scales[2*(2*2+1):], tensor.BF16, float32(math.NaN())) // row 2, group 1
	nw, ns := p.Sizes(2, cols, tensor.BF16)
	block := Outputs{Words: o.Words[2*nw : 3*nw], Scales: o.Scales[2*ns : 3*ns], Biases: o.Biases[2*ns : 3*ns]} // rows 4, 5
	bad, first, err := CheckRows(block, tensor.BF16, 4, 2, cols, p)
	require.NoError(t, err)
	require.Zero(t, bad, first)
	block = Outputs{Words: o.Words[nw : 2*nw], Scales: o.Scales[ns : 2*ns], Biases: o.Biases[ns : 2*ns]} // rows 2, 3
	bad, first, err = CheckRows(block, tensor.BF16, 2, 2, cols, p)
	require.NoError(t, err)
	require.Equal(t, 1, bad)
	require.Equal(t, "row 2, group 1 (columns 32 to 63): scale NaN is not finite", first)
	_, _, err = CheckRows(block, tensor.BF16, 2, 3, cols, p)
	require.ErrorContains(t, err, "want")
}
