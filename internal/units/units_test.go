package units

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.00 kB", 17e9: "17.00 GB",
		22_770_000_000: "22.77 GB", 2e15: "2.00 PB", 3e18: "3000.00 PB", -1500: "-1.50 kB"} {
		require.Equal(t, want, Bytes(n), n)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 597568: "597,568",
		4_999_787_712: "4,999,787,712", -1234567: "-1,234,567"} {
		require.Equal(t, want, Thousands(n), n)
	}
}
