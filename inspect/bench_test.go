package inspect

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/internal/synth"
	"github.com/wanconv/wanconv/mapping"
)

// BenchmarkInspectFullSize inspects a header-complete, sparse TI2V-5B
// release (about 34 GB apparent size, almost no disk): inspect must read
// headers only, so one iteration takes milliseconds.
func BenchmarkInspectFullSize(b *testing.B) {
	inv, err := synth.LoadInventory(golden.TI2V5BInventory())
	require.NoError(b, err)
	dir := b.TempDir()
	require.NoError(b, synth.WriteRelease(dir, inv, synth.Options{Sparse: true}))

	rep, err := Inspect(dir, Options{})
	require.NoError(b, err)
	want := map[mapping.Component]int64{
		mapping.ComponentDiT: 4_999_787_712,
		mapping.ComponentT5:  5_680_910_336,
		mapping.ComponentVAE: 704_688_668,
	}
	for c, params := range want {
		cr := component(b, rep, c)
		require.Equal(b, params, cr.ParamCount, c)
		require.Equal(b, CheckPassed, cr.Check, "%s: %v", c, cr.Problems)
	}

	b.ResetTimer()
	for b.Loop() {
		if _, err := Inspect(dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
