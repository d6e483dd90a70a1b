package convert

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/tensor"
)

func TestF32ToBF16MatchesReference(t *testing.T) {
	samples := []uint32{
		0x3f808000, // 1 + 2^-8: tie, even below → 1.0 (0x3f80)
		0x3f818000, // tie, odd below → rounds up to 0x3f82
		0x3f808001, // just above the tie → up
		0x3f807fff, // just below the tie → down
		0xbf818000, // negative tie → magnitude up
		0x7f7fffff, // max float32 → Inf (beyond the last bf16 + half ulp)
		0x7f7f7fff, // just below the midpoint → max bf16
		0x00000001, // smallest subnormal → 0
		0x00008000, // subnormal tie → 0 (even)
		0x00018000, // subnormal tie → 2 (even)
		0x7f800000, 0xff800000, 0x00000000, 0x80000000,
	}
	for _, b := range samples {
		require.Equal(t, refRoundBF16(math.Float32frombits(b)), f32ToBF16(b), "bits %#08x", b)
	}
	require.Equal(t, uint16(0x3f80), f32ToBF16(0x3f808000))
	require.Equal(t, uint16(0x3f82), f32ToBF16(0x3f818000))
	require.Equal(t, uint16(0x7f80), f32ToBF16(0x7f7fffff))
	// A pseudo-random sweep over all exponents.
	x := uint32(2463534242)
	for i := 0; i < 200000; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		if math.IsNaN(float64(math.Float32frombits(x))) {
			continue
		}
		require.Equal(t, refRoundBF16(math.Float32frombits(x)), f32ToBF16(x), "bits %#08x", x)
	}
}

func TestNaNStaysNaN(t *testing.T) {
	for _, b := range []uint32{0x7fc00000, 0x7f800001, 0xff800001, 0x7f80ffff, 0xffffffff} {
		h := f32ToBF16(b)
		require.Equal(t, uint16(0x7f80), h&0x7f80, "bits %#08x", b)
		require.NotZero(t, h&0x007f, "bf16 of NaN %#08x must stay NaN, got %#04x", b, h)
		require.Equal(t, uint16(b>>16)&0x8000, h&0x8000, "sign kept")
		f := f32ToF16(b)
		require.True(t, f&0x7c00 == 0x7c00 && f&0x03ff != 0, "f16 of NaN %#08x = %#04x", b, f)
	}
	dst := make([]byte, 2)
	castF32ToBF16(dst, f32Bytes(float32(math.NaN())))
	require.True(t, math.IsNaN(float64(math.Float32frombits(bf16ToF32(binary.LittleEndian.Uint16(dst))))))
}

func TestCastOverflowIsCounted(t *testing.T) {
	src := f32Bytes(1, 65504, 65520, -70000, float32(math.Inf(1)), 3e38, float32(math.NaN()))
	c, err := castFor(tensor.F32, tensor.F16)
	require.NoError(t, err)
	dst := make([]byte, 2*7)
	// 65520 is the f16 rounding midpoint above 65504 (ties to even → Inf),
	// -70000 and 3e38 overflow too; +Inf was already infinite.
	require.Equal(t, int64(3), c(dst, src))
	require.Equal(t, uint16(0x7bff), binary.LittleEndian.Uint16(dst[2:]))
	require.Equal(t, uint16(0x7c00), binary.LittleEndian.Uint16(dst[4:]))
	require.Equal(t, uint16(0xfc00), binary.LittleEndian.Uint16(dst[6:]))

	bf := make([]byte, 2*7)
	require.Equal(t, int64(0), castF32ToBF16(bf, src), "all finite inputs fit bfloat16")
	require.Equal(t, int64(1), castF32ToBF16(bf[:2], f32Bytes(math.MaxFloat32)))
}

func f64Bytes(vals ...float64) []byte {
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
	}
	return b
}

func TestFloat64SourcesRoundOnce(t *testing.T) {
	// 1 + 2^-8 + 2^-30 lies just above the bf16 midpoint between 1 and
	// 1 + 2^-7. Rounding to float32 first would land exactly on the midpoint
	// and then tie to 1.0: a double-rounding error.
	d := 1 + math.Ldexp(1, -8) + math.Ldexp(1, -30)
	c, err := castFor(tensor.F64, tensor.BF16)
	require.NoError(t, err)
	dst := make([]byte, 2*4)
	require.Equal(t, int64(1), c(dst, f64Bytes(d, -2.5, math.NaN(), 1e300)))
	require.Equal(t, uint16(0x3f81), binary.LittleEndian.Uint16(dst[0:]))
	require.Equal(t, uint16(0xc020), binary.LittleEndian.Uint16(dst[2:]))
	require.Equal(t, uint16(0x7f80), binary.LittleEndian.Uint16(dst[4:])&0x7f80)
	require.NotZero(t, binary.LittleEndian.Uint16(dst[4:])&0x7f)
	require.Equal(t, uint16(0x7f80), binary.LittleEndian.Uint16(dst[6:]))

	// The same for float16: 1 + 2^-11 + 2^-40 must round up to 1 + 2^-10.
	c16, err := castFor(tensor.F64, tensor.F16)
	require.NoError(t, err)
	h := make([]byte, 2)
	c16(h, f64Bytes(1+math.Ldexp(1, -11)+math.Ldexp(1, -40)))
	require.Equal(t, uint16(0x3c01), binary.LittleEndian.Uint16(h))

	c32, err := castFor(tensor.F64, tensor.F32)
	require.NoError(t, err)
	f := make([]byte, 8)
	require.Equal(t, int64(1), c32(f, f64Bytes(0.1, 1e40)))
	require.Equal(t, float32(0.1), math.Float32frombits(binary.LittleEndian.Uint32(f)))
}

func TestWideningIsExact(t *testing.T) {
	c, err := castFor(tensor.F16, tensor.F32)
	require.NoError(t, err)
	dst := make([]byte, 12)
	c(dst, []byte{0x00, 0x3c, 0x01, 0x00, 0x00, 0xfc}) // 1.0, smallest subnormal, -Inf
	require.Equal(t, float32(1), math.Float32frombits(binary.LittleEndian.Uint32(dst)))
	require.Equal(t, float32(math.Ldexp(1, -24)), math.Float32frombits(binary.LittleEndian.Uint32(dst[4:])))
	require.True(t, math.IsInf(float64(math.Float32frombits(binary.LittleEndian.Uint32(dst[8:]))), -1))

	c, err = castFor(tensor.BF16, tensor.F64)
	require.NoError(t, err)
	d := make([]byte, 8)
	c(d, []byte{0x81, 0x3f})
	require.Equal(t, 1+math.Ldexp(1, -7), math.Float64frombits(binary.LittleEndian.Uint64(d)))

	_, err = castFor(tensor.I64, tensor.F32)
	require.ErrorContains(t, err, "only float tensors")
}
