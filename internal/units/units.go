// Package units formats quantities for people, one way for every command:
// byte counts in decimal units (kB, MB, GB, as disks and downloads are
// sized) and integers with thousands separators.
package units

import (
	"fmt"
	"strconv"
)

// Bytes prints a byte count with a decimal unit: "999 B", "1.50 GB".
func Bytes(n int64) string {
	names := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	v := float64(n)
	i := 0
	for (v >= 1000 || v <= -1000) && i < len(names)-1 {
		v /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.2f %s", v, names[i])
}

// Thousands prints n with commas between groups of three digits.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
