//go:build mlx

package dit

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

// BenchmarkForwardFullSize times one forward pass of a converted full-size
// model (WANCONV_BENCH_DIR) on a (48, 4, 32, 32) latent with a 512-token
// context: wall time, peak MLX memory and the share of time spent building
// the graph (Go + cgo) rather than in mlx.Eval. WANCONV_BENCH_PRECISION
// selects Options.ComputeDType (float32 default, or bfloat16).
// WANCONV_BENCH_DIR=synthetic times the TI2V-5B architecture with bfloat16
// weights that are all zero (norm weights one): same work, no download;
// WANCONV_BENCH_LAYERS=N then keeps only N blocks, WANCONV_BENCH_CAST=1 sets
// Options.CastAtLoad.
func BenchmarkForwardFullSize(b *testing.B) {
	dir := os.Getenv("WANCONV_BENCH_DIR")
	if dir == "" {
		b.Skip("set WANCONV_BENCH_DIR to a converted full-size directory")
	}
	requireMLX(b)
	opts := Options{CastAtLoad: os.Getenv("WANCONV_BENCH_CAST") == "1"}
	if p := os.Getenv("WANCONV_BENCH_PRECISION"); p != "" {
		dt, err := tensor.ParseDType(p)
		if err != nil {
			b.Fatal(err)
		}
		opts.ComputeDType = dt
	}
	var m *Model
	var err error
	if dir == "synthetic" {
		arch := ti2v5B()
		if n, err := strconv.Atoi(os.Getenv("WANCONV_BENCH_LAYERS")); err == nil && n > 0 {
			arch.NumLayers = n
		}
		m, err = zeroModel(arch, opts)
	} else {
		m, err = loadConverted(dir, opts)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer m.Free()
	in, err := SyntheticInputs(m.Arch(), 4, 32, 32, 512, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var build, total float64
	var peak int64
	for range b.N {
		tm, err := m.MeasureForward(in)
		if err != nil {
			b.Fatal(err)
		}
		build += tm.Build.Seconds()
		total += tm.Total().Seconds()
		peak = max(peak, tm.PeakMemory)
		b.Logf("%d blocks, %v compute, cast at load %v: forward %v: build %v, eval %v, peak %.2f GB, output %v",
			m.Arch().NumLayers, m.Options().ComputeDType.Name(), opts.CastAtLoad, tm.Total(), tm.Build, tm.Eval, float64(tm.PeakMemory)/1e9, tm.Output)
	}
	b.ReportMetric(100*build/total, "build-%")
	b.ReportMetric(float64(peak)/1e9, "peak-GB")
	b.ReportMetric(total/float64(b.N), "s/forward")
}

// ti2v5B is the Wan2.2 TI2V-5B architecture.
func ti2v5B() *mapping.DiTArch {
	return &mapping.DiTArch{
		ModelType: ModelTypeTI2V, PatchSize: []int{1, 2, 2}, TextLen: 512, InDim: 48, Dim: 3072, FFNDim: 14336,
		FreqDim: 256, TextDim: 4096, OutDim: 48, NumHeads: 24, NumLayers: 30, WindowSize: []int{-1, -1},
		QKNorm: true, CrossAttnNorm: true, Eps: 1e-6,
	}
}

// zeroModel builds arch with bfloat16 weights that are zero, except norm
// weights (one). Each tensor is materialised from host bytes so that memory
// and matmul costs are those of real weights.
func zeroModel(arch *mapping.DiTArch, opts Options) (*Model, error) {
	var m *Model
	err := mlx.Do(func() error {
		weights := make(map[string]*mlx.Array)
		var all []*mlx.Array
		for _, s := range arch.RequiredMLX() {
			n := int(s.NumElements())
			shape := make([]int, len(s.Shape))
			for i, d := range s.Shape {
				shape[i] = int(d)
			}
			raw := make([]byte, 2*n)
			if strings.Contains(s.Name, "norm") && strings.HasSuffix(s.Name, ".weight") {
				for i := 1; i < len(raw); i += 2 {
					raw[i] = 0x3f // bfloat16 1.0 = 0x3f80
					raw[i-1] = 0x80
				}
			}
			a := mlx.FromBytes(raw, mlx.BFloat16, shape...)
			if err := mlx.Eval(a); err != nil {
				return err
			}
			mlx.Keep(a)
			weights[s.Name] = a
			all = append(all, a)
		}
		var err error
		m, err = New(arch, weights, opts)
		if err != nil { // the weights are still ours
			for _, a := range all {
				a.Free()
			}
		}
		return err
	})
	return m, err
}
