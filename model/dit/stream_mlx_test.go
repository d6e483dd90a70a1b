//go:build mlx

package dit

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

// zeroSource serves an architecture's converted tensors without any file:
// bfloat16 zeros, norm weights one. Reading costs what a real source's
// copy does (every byte is written), so streaming is measured as it runs.
type zeroSource struct {
	infos  []tensor.Info
	byName map[string]tensor.Info
	reads  int
}

func newZeroSource(a *mapping.DiTArch) *zeroSource {
	s := &zeroSource{byName: map[string]tensor.Info{}}
	for _, info := range a.RequiredMLX() {
		info.DType = tensor.BF16
		s.infos = append(s.infos, info)
		s.byName[info.Name] = info
	}
	return s
}

func (s *zeroSource) Path() string                           { return "synthetic" }
func (s *zeroSource) Tensors() []tensor.Info                 { return s.infos }
func (s *zeroSource) Lookup(name string) (tensor.Info, bool) { i, ok := s.byName[name]; return i, ok }
func (s *zeroSource) Close() error                           { return nil }

func (s *zeroSource) ReadTensor(name string, dst []byte) error {
	info, ok := s.byName[name]
	if !ok || int64(len(dst)) != info.NumBytes() {
		return fmt.Errorf("synthetic: tensor %s: no such tensor or wrong buffer", name)
	}
	s.reads++
	clear(dst)
	if strings.Contains(name, "norm") && strings.HasSuffix(name, ".weight") {
		for i := 1; i < len(dst); i += 2 {
			dst[i-1], dst[i] = 0x80, 0x3f // bfloat16 1.0
		}
	}
	return nil
}

// streamedPeak builds a streamed model of arch over zeros, runs one forward
// pass on a frames×h×w latent with a ctxLen-token context and returns the
// peak MLX memory of the pass (resident weights included) and the reads.
func streamedPeak(tb testing.TB, arch *mapping.DiTArch, frames, h, w, ctxLen int) (peak int64, reads int) {
	tb.Helper()
	src := newZeroSource(arch)
	m, err := LoadStreamed(src, nil, Options{})
	require.NoError(tb, err)
	defer m.Free()
	require.True(tb, m.Streamed())
	in, err := SyntheticInputs(m.Arch(), frames, h, w, ctxLen, 1)
	require.NoError(tb, err)
	before := src.reads
	tm, err := m.MeasureForward(in)
	require.NoError(tb, err)
	require.Equal(tb, []int{arch.OutDim, frames, h, w}, tm.Output)
	return tm.PeakMemory, src.reads - before
}

// narrowArch is a small full-structure architecture with n blocks.
func narrowArch(n int) *mapping.DiTArch {
	return &mapping.DiTArch{ModelType: ModelTypeT2V, PatchSize: []int{1, 2, 2}, TextLen: 64, InDim: 16, Dim: 512,
		FFNDim: 1536, FreqDim: 256, TextDim: 256, OutDim: 16, NumHeads: 8, NumLayers: n, WindowSize: []int{-1, -1},
		QKNorm: true, CrossAttnNorm: true, Eps: 1e-6}
}

// A streamed model's peak memory does not grow with the number of blocks:
// 2 and 8 blocks of a narrow model peak within 10 % of each other, where
// the in-memory model's weights alone grow fourfold; every block tensor is
// read once per pass.
func TestStreamedPeakIsFlat(t *testing.T) {
	requireMLX(t)
	p2, r2 := streamedPeak(t, narrowArch(2), 2, 8, 8, 16)
	p8, r8 := streamedPeak(t, narrowArch(8), 2, 8, 8, 16)
	perBlock := len(narrowArch(1).RequiredMLX()) - len(narrowArch(0).RequiredMLX())
	require.Equal(t, 2*perBlock, r2)
	require.Equal(t, 8*perBlock, r8)
	blockBytes := 2 * (tensor.ParamCount(narrowArch(1).RequiredMLX()) - tensor.ParamCount(narrowArch(0).RequiredMLX()))
	t.Logf("streamed peak: 2 blocks %.1f MB, 8 blocks %.1f MB (ratio %.3f); one block's bfloat16 weights %.1f MB",
		float64(p2)/1e6, float64(p8)/1e6, float64(p8)/float64(p2), float64(blockBytes)/1e6)
	require.InEpsilon(t, float64(p2), float64(p8), 0.10)
	require.Less(t, p8-p2, 2*blockBytes, "6 more blocks must not add their weights")

	// The same measurement sees the in-memory model's weights grow.
	inMemory := func(n int) int64 {
		m, err := zeroModel(narrowArch(n), Options{})
		require.NoError(t, err)
		defer m.Free()
		in, err := SyntheticInputs(m.Arch(), 2, 8, 8, 16, 1)
		require.NoError(t, err)
		tm, err := m.MeasureForward(in)
		require.NoError(t, err)
		return tm.PeakMemory
	}
	m2, m8 := inMemory(2), inMemory(8)
	t.Logf("in-memory peak: 2 blocks %.1f MB, 8 blocks %.1f MB", float64(m2)/1e6, float64(m8)/1e6)
	require.GreaterOrEqual(t, m8-m2, 6*blockBytes)
}

// a14bExpert is the A14B expert architecture (T2V: in_dim 16) with n blocks.
func a14bExpert(n, textLen int) *mapping.DiTArch {
	return &mapping.DiTArch{ModelType: ModelTypeT2V, PatchSize: []int{1, 2, 2}, TextLen: textLen, InDim: 16, Dim: 5120,
		FFNDim: 13824, FreqDim: 256, TextDim: 4096, OutDim: 16, NumHeads: 40, NumLayers: n, WindowSize: []int{-1, -1},
		QKNorm: true, CrossAttnNorm: true, Eps: 1e-6}
}

// BenchmarkStreamedExpertPeak runs one block-streamed forward pass of a
// full-width A14B expert (dim 5120, ffn 13824, 40 heads; bfloat16 zeros,
// float32 compute) with 10 and with 40 blocks, side by side, on a
// (16, 1, 8, 8) latent (16 tokens) and a 16-token context padded to
// text_len (WANCONV_BENCH_TEXT_LEN, default 512): the peak MLX memory of
// each and their ratio. The in-memory expert would hold 7.0 GB and 28.1 GB
// of block weights.
func BenchmarkStreamedExpertPeak(b *testing.B) {
	requireMLX(b)
	textLen := 512
	if v, err := strconv.Atoi(os.Getenv("WANCONV_BENCH_TEXT_LEN")); err == nil && v > 0 {
		textLen = v
	}
	for range b.N {
		var peaks [2]int64
		for i, n := range []int{10, 40} {
			peaks[i], _ = streamedPeak(b, a14bExpert(n, textLen), 1, 8, 8, 16)
			b.Logf("%d blocks: peak %.3f GB", n, float64(peaks[i])/1e9)
		}
		b.ReportMetric(float64(peaks[0])/1e9, "peak10-GB")
		b.ReportMetric(float64(peaks[1])/1e9, "peak40-GB")
		b.ReportMetric(float64(peaks[1])/float64(peaks[0]), "peak40/peak10")
	}
	_ = mlx.Do(func() error { return mlx.ClearCache() })
}
