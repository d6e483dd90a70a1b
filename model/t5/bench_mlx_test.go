//go:build mlx

package t5

import (
	"os"
	"testing"
	"time"

	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

// benchEncode encodes a synthetic 512-token prompt (300 real tokens, the rest
// padding, as the upstream tokenizer pads to text_len 512) b.N times and
// reports the peak MLX memory of the runs. The weights, which
// LoadSafetensors reads lazily, are read in before the timer starts.
func benchEncode(b *testing.B, m *Model, length int) {
	ids, mask, err := SyntheticTokens(m.Arch().Vocab, length, length*300/512, 2026)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := mlx.Do(func() error { return mlx.Eval(m.owned...) }); err != nil {
		b.Fatal(err)
	}
	b.Logf("weights read in %v; %.2f GB active", time.Since(start).Round(time.Millisecond), float64(mlx.ActiveMemory())/1e9)
	mlx.ResetPeakMemory()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.EncodeTokens(ids, mask); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(mlx.PeakMemory())/1e9, "peak-GB")
}

// BenchmarkEncodeTiny runs the golden tiny encoder (converted with the
// converter's default bfloat16) on 512 tokens.
func BenchmarkEncodeTiny(b *testing.B) {
	requireMLX(b)
	m := loadModel(b, convertTiny(b, "bfloat16"), Options{})
	benchEncode(b, m, 512)
}

// BenchmarkEncodeFullSize runs umt5-xxl from the converted directory named by
// WANCONV_BENCH_DIR on 512 tokens with the default options (bfloat16 weights
// take about 11.4 GB; each block's float32 copies add about 0.8 GB while it
// runs). WANCONV_BENCH_COMPUTE=bfloat16 sets Options.ComputeDType.
func BenchmarkEncodeFullSize(b *testing.B) {
	requireMLX(b)
	dir := os.Getenv("WANCONV_BENCH_DIR")
	if dir == "" {
		b.Skip("set WANCONV_BENCH_DIR to a converted full-size directory to run this benchmark")
	}
	opts := Options{}
	if c := os.Getenv("WANCONV_BENCH_COMPUTE"); c != "" {
		dt, err := tensor.ParseDType(c)
		if err != nil {
			b.Fatal(err)
		}
		opts.ComputeDType = dt
	}
	m := loadModel(b, dir, opts)
	if a := m.Arch(); *a != *umt5XXL() {
		b.Logf("note: %s holds %+v, not umt5-xxl", dir, a)
	}
	b.Logf("%d parameters, weights %s, matmuls %s", m.ParamCount(), m.WeightDType(), m.Options().ComputeDType.Name())
	benchEncode(b, m, 512)
}
