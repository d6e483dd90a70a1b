package t5

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSyntheticTokensRecipe(t *testing.T) {
	ids, mask, err := SyntheticTokens(1000, 6, 4, 0)
	require.NoError(t, err)
	// SplitMix64 from state 0: first outputs 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4,
	// 0x06C45D188009454F (the generator's published test vector).
	want := []int32{
		int32(3 + uint64(0xE220A8397B1DCDAF)%997),
		int32(3 + uint64(0x6E789E6AA1B965F4)%997),
		int32(3 + uint64(0x06C45D188009454F)%997),
		EOSID, PadID, PadID,
	}
	require.Equal(t, want, ids)
	require.Equal(t, []int32{1, 1, 1, 1, 0, 0}, mask)
}

func TestSyntheticTokensDeterministicAndInRange(t *testing.T) {
	a, _, err := SyntheticTokens(256384, 512, 300, 42)
	require.NoError(t, err)
	b, _, err := SyntheticTokens(256384, 512, 300, 42)
	require.NoError(t, err)
	c, _, err := SyntheticTokens(256384, 512, 300, 43)
	require.NoError(t, err)
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
	for i, id := range a[:299] {
		require.True(t, id >= 3 && id < 256384, "position %d id %d", i, id)
	}
	require.Equal(t, int32(EOSID), a[299])
}

func TestSyntheticTokensBadArguments(t *testing.T) {
	for _, c := range []struct{ vocab, length, valid int }{
		{3, 10, 5}, {100, 10, 0}, {100, 10, 11}, {100, 0, 0},
	} {
		_, _, err := SyntheticTokens(c.vocab, c.length, c.valid, 1)
		require.Error(t, err, "%+v", c)
	}
	ids, mask, err := SyntheticTokens(4, 1, 1, 7)
	require.NoError(t, err)
	require.Equal(t, []int32{EOSID}, ids)
	require.Equal(t, []int32{1}, mask)
}
