//go:build mlx

package vae

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

// BenchmarkVAEFullSize decodes a (48, 2, 8, 8) latent into a 5-frame
// 128×128 video and encodes that video again with a full-size converted VAE
// (WANCONV_BENCH_DIR; optional WANCONV_BENCH_DTYPE=bfloat16 for bf16
// compute). It reports the wall time of each half, the memory the kept
// weights take, and MLX's peak memory (weights included) during each half.
func BenchmarkVAEFullSize(b *testing.B) {
	dir := os.Getenv("WANCONV_BENCH_DIR")
	if dir == "" {
		b.Skip("set WANCONV_BENCH_DIR to a converted full-size Wan2.2 dir to run")
	}
	opts := Options{}
	if os.Getenv("WANCONV_BENCH_DTYPE") == "bfloat16" {
		opts.ComputeDType = tensor.BF16
	}
	m, err := Load(filepath.Join(dir, layout.Wanconv.VAE), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Free()
	if c, ok := m.Arch().(*mapping.VAEArch); !ok || c.Dim != 160 || c.DecDim != 256 {
		b.Fatalf("%s is not the full-size Wan2.2 VAE (%+v)", dir, m.Arch())
	}
	// A smooth deterministic latent in the normalised range.
	lat := SyntheticVideo(2*8, 8, 48, 11) // 3·16·8·48 values; take 48·2·8·8 of them
	lat = lat[:48*2*8*8]
	for i := range lat {
		lat[i] *= 2
	}
	var decodeTime, encodeTime time.Duration
	var weights, decodePeak, encodePeak int64
	if err := mlx.Do(func() error { weights = mlx.ActiveMemory(); return nil }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := mlx.Do(func() error {
			mlx.ResetPeakMemory()
			start := time.Now()
			video, err := m.Decode(mlx.FromFloat32s(lat, 48, 2, 8, 8))
			if err != nil {
				return err
			}
			decodeTime += time.Since(start)
			decodePeak = max(decodePeak, mlx.PeakMemory())
			mlx.ResetPeakMemory()
			start = time.Now()
			z, err := m.Encode(video)
			if err != nil {
				return err
			}
			encodeTime += time.Since(start)
			encodePeak = max(encodePeak, mlx.PeakMemory())
			if s := z.Shape(); s[0] != 48 || s[1] != 2 || s[2] != 8 || s[3] != 8 {
				b.Fatalf("latent shape %v", s)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(decodeTime.Seconds()/float64(b.N), "decode-s/op")
	b.ReportMetric(encodeTime.Seconds()/float64(b.N), "encode-s/op")
	b.ReportMetric(float64(weights)/(1<<30), "weights-GiB")
	b.ReportMetric(float64(decodePeak)/(1<<30), "decode-peak-GiB")
	b.ReportMetric(float64(encodePeak)/(1<<30), "encode-peak-GiB")
	b.ReportMetric(float64(m.ParamCount())/1e6, "Mparams")
}
