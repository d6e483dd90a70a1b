package quant

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/wanconv/wanconv/tensor"
)

// BenchmarkQuantizeRows measures throughput in MB/s of input over a block
// of 256 rows of an A14B FFN weight (13824 columns), on all cores.
func BenchmarkQuantizeRows(b *testing.B) {
	const rows, cols = 256, 13824
	v := normals(2, rows*cols, 0.02)
	for _, src := range []tensor.DType{tensor.BF16, tensor.F32} {
		data := encode(v, src)
		for _, bits := range []int{4, 8} {
			p := Params{Bits: bits, GroupSize: 64}
			nw, ns := p.Sizes(rows, cols, tensor.BF16)
			o := Outputs{Words: make([]byte, nw), Scales: make([]byte, ns), Biases: make([]byte, ns)}
			b.Run(fmt.Sprintf("%s/%dbit", src.Name(), bits), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				cpu0 := cpuTime()
				for b.Loop() {
					if err := QuantizeRows(o, data, src, tensor.BF16, rows, cols, p); err != nil {
						b.Fatal(err)
					}
				}
				// Throughput per CPU-second: what one core sustains, less
				// sensitive than MB/s to other work on a shared machine.
				b.ReportMetric(float64(b.N)*float64(len(data))/1e6/(cpuTime()-cpu0).Seconds(), "MB/cpu-s")
			})
		}
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
