package safetensors

import (
	"fmt"
	"sort"
)

// checkLayout checks that the entries' byte ranges lie inside a data area of
// dataSize bytes and tile it exactly: sorted by offset, each range starts
// where the previous one ended, the first starts at 0 and the last ends at
// dataSize. Zero-length tensors are allowed anywhere on that chain.
func checkLayout(path string, entries []entry, dataSize int64) error {
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		ea, eb := &entries[order[a]], &entries[order[b]]
		if ea.begin != eb.begin {
			return ea.begin < eb.begin
		}
		if ea.end != eb.end {
			return ea.end < eb.end
		}
		return ea.info.Name < eb.info.Name
	})
	for _, i := range order {
		e := &entries[i]
		if e.end > dataSize {
			return &Error{File: path, Tensor: e.info.Name, Kind: ErrOffsetOutOfRange,
				Detail: fmt.Sprintf("data_offsets [%d, %d] but the data area has %d bytes", e.begin, e.end, dataSize)}
		}
	}
	var covered int64
	prev := ""
	for _, i := range order {
		e := &entries[i]
		switch {
		case e.begin < covered:
			return &Error{File: path, Tensor: e.info.Name, Kind: ErrOverlap,
				Detail: fmt.Sprintf("data_offsets [%d, %d] start before tensor %q ends at %d", e.begin, e.end, prev, covered)}
		case e.begin > covered:
			return &Error{File: path, Tensor: e.info.Name, Kind: ErrGap,
				Detail: fmt.Sprintf("bytes [%d, %d) before this tensor are not covered", covered, e.begin)}
		}
		covered = e.end
		prev = e.info.Name
	}
	if covered != dataSize {
		return &Error{File: path, Kind: ErrTrailingBytes,
			Detail: fmt.Sprintf("tensors cover %d of the %d data bytes", covered, dataSize)}
	}
	return nil
}
