package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/wanconv/wanconv/tensor"
)

// Outputs receives the quantization of a block of rows. Words holds the
// packed codes as little-endian uint32 (rows × cols·bits/32 words), Scales
// and Biases the rows × cols/GroupSize values in the output dtype; see
// Params.Sizes.
type Outputs struct {
	Words, Scales, Biases []byte
}

// eps is the smallest magnitude of a scale before it is fitted to the edge.
const eps = float32(1e-7)

// parallelMin is the number of source elements below which a block is
// quantized on the calling goroutine alone.
const parallelMin = 1 << 16

// QuantizeRows quantizes rows rows of cols elements: src holds them as
// little-endian srcDType (float32, bfloat16 or float16), row after row, and
// the result, for a weight held as outDType, goes to dst. Each value is
// first rounded to outDType, as when MLX quantizes the weight in that
// dtype. Rows are independent, so a weight may be streamed through in
// blocks of whole rows; each call spreads its rows over GOMAXPROCS
// goroutines and allocates nothing per row.
func QuantizeRows(dst Outputs, src []byte, srcDType, outDType tensor.DType, rows, cols int, p Params) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if !supported(srcDType) {
		return fmt.Errorf("cannot quantize %s weights (float32, bfloat16 or float16 only)", srcDType.Name())
	}
	if !supported(outDType) {
		return fmt.Errorf("cannot store quantization scales as %s (float32, bfloat16 or float16 only)", outDType.Name())
	}
	if rows < 0 || cols < 1 || cols%p.GroupSize != 0 {
		return fmt.Errorf("cannot quantize %d × %d: the input size must be a positive multiple of the group size %d",
			rows, cols, p.GroupSize)
	}
	if want := rows * cols * srcDType.Size(); len(src) != want {
		return fmt.Errorf("source block of %d × %d %s has %d bytes, want %d", rows, cols, srcDType.Name(), len(src), want)
	}
	nw, ns := p.Sizes(rows, cols, outDType)
	if len(dst.Words) != nw || len(dst.Scales) != ns || len(dst.Biases) != ns {
		return fmt.Errorf("outputs for %d × %d (%s) have %d, %d and %d bytes, want %d, %d and %d",
			rows, cols, p, len(dst.Words), len(dst.Scales), len(dst.Biases), nw, ns, ns)
	}
	job := rowJob{dst: dst, src: src, load: loadFor(srcDType, outDType), out: outDType,
		inSize: srcDType.Size(), cols: cols, p: p}
	workers := runtime.GOMAXPROCS(0)
	if rows*cols < parallelMin || workers < 2 {
		job.run(0, rows)
		return nil
	}
	workers = min(workers, rows)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := rows*w/workers, rows*(w+1)/workers
		wg.Go(func() { job.run(lo, hi) })
	}
	wg.Wait()
	return nil
}

// rowJob is one QuantizeRows call, split by rows between goroutines.
type rowJob struct {
	dst    Outputs
	src    []byte
	load   load
	out    tensor.DType
	inSize int
	cols   int
	p      Params
}

// run quantizes rows [lo, hi).
func (j *rowJob) run(lo, hi int) {
	var buf [128]float32
	g := buf[:j.p.GroupSize]
	groups := j.cols / j.p.GroupSize
	inBytes := j.p.GroupSize * j.inSize
	wordBytes := j.p.GroupSize * j.p.Bits / 8
	outSize := j.out.Size()
	for gi := lo * groups; gi < hi*groups; gi++ {
		j.load.decode(g, j.src[gi*inBytes:])
		words := j.dst.Words[gi*wordBytes : (gi+1)*wordBytes]
		var scale, bias float32
		if j.p.Bits == 4 {
			scale, bias = quantizeGroup4(words, g)
		} else {
			scale, bias = quantizeGroup8(words, g)
		}
		store(j.dst.Scales[gi*outSize:], j.out, scale)
		store(j.dst.Biases[gi*outSize:], j.out, bias)
	}
}

// fit returns the float32 scale and bias of a group for levels codes above 0.
func fit(g []float32, levels float32) (scale, bias float32) {
	lo, hi := minMax(g)
	scale = (hi - lo) / levels
	if scale < eps {
		scale = eps
	}
	edge := hi
	if abs32(lo) > abs32(hi) {
		edge = lo
	} else {
		scale = -scale
	}
	q0 := float32(math.RoundToEven(float64(edge / scale)))
	if q0 != 0 {
		return edge / q0, edge
	}
	return scale, 0
}

// minMax returns the smallest and largest value of g (len a multiple of 4),
// skipping NaNs (±Inf when all are NaN). Which zero a ±0 extreme has does
// not matter to fit.
func minMax(g []float32) (lo, hi float32) {
	l0, l1, l2, l3 := g[0], g[1], g[2], g[3]
	h0, h1, h2, h3 := l0, l1, l2, l3
	for i := 4; i+4 <= len(g); i += 4 {
		a, b, c, d := g[i], g[i+1], g[i+2], g[i+3]
		l0, l1, l2, l3 = min(l0, a), min(l1, b), min(l2, c), min(l3, d)
		h0, h1, h2, h3 = max(h0, a), max(h1, b), max(h2, c), max(h3, d)
	}
	lo, hi = min(l0, l1, l2, l3), max(h0, h1, h2, h3)
	if lo == lo && hi == hi {
		return lo, hi
	}
	// The builtins propagate NaN; skip NaNs instead, as MLX does.
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range g {
		if v > hi {
			hi = v
		}
		if v < lo {
			lo = v
		}
	}
	return lo, hi
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// magic is 2^23: adding it to a float32 in [0, 2^23) rounds it to an
// integer, ties to even, which the low mantissa bits of the sum then hold.
const magic = float32(1 << 23)

// quantizeGroup4 packs the 4-bit codes of g into words and returns the
// group's scale and bias.
func quantizeGroup4(words []byte, g []float32) (scale, bias float32) {
	scale, bias = fit(g, 15)
	for w := 0; w < len(g)/8; w++ {
		var word uint32
		for k, v := range g[8*w : 8*w+8] {
			x := (v - bias) / scale
			if !(x >= 0) { // negative or NaN
				x = 0
			} else if x > 15 {
				x = 15
			}
			word |= math.Float32bits(x+magic) & 0xf << (4 * k) // x+magic = 2^23 + code
		}
		binary.LittleEndian.PutUint32(words[4*w:], word)
	}
	return scale, bias
}

// quantizeGroup8 packs the 8-bit codes of g into words and returns the
// group's scale and bias.
func quantizeGroup8(words []byte, g []float32) (scale, bias float32) {
	scale, bias = fit(g, 255)
	for w := 0; w < len(g)/4; w++ {
		var word uint32
		for k, v := range g[4*w : 4*w+4] {
			x := (v - bias) / scale
			if !(x >= 0) {
				x = 0
			} else if x > 255 {
				x = 255
			}
			word |= math.Float32bits(x+magic) & 0xff << (8 * k)
		}
		binary.LittleEndian.PutUint32(words[4*w:], word)
	}
	return scale, bias
}
