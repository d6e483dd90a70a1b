package main

import (
	"fmt"
	"strconv"
	"strings"
)

// parseSize reads "5GB", "500MiB", "123" (bytes).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) || v*float64(mult) > 1<<62 { // !(v > 0): NaN too
		return 0, fmt.Errorf("invalid size %q", s)
	}
	if v*float64(mult) < 1 {
		// int64(0.5) would be 0, which convert.Options reads as "the default"
		return 0, fmt.Errorf("invalid size %q: less than one byte", s)
	}
	return int64(v * float64(mult)), nil
}
