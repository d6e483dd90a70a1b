package convert

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"sort"
)

// tensorHasher splits one output file's byte stream, written in offset
// order, at tensor boundaries and hashes each tensor's bytes, so that the
// manifest can name the tensor whose bytes were later corrupted.
type tensorHasher struct {
	tensors []plannedTensor // sorted by offset
	i       int
	done    int64 // bytes of tensors[i] hashed so far
	h       hash.Hash
	sums    map[string]string
}

func newTensorHasher(ts []plannedTensor) *tensorHasher {
	sorted := append([]plannedTensor(nil), ts...)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].offset < sorted[b].offset })
	t := &tensorHasher{tensors: sorted, h: sha256.New(), sums: make(map[string]string, len(ts))}
	t.closeEmpty()
	return t
}

// write feeds the bytes written at file offset off.
func (t *tensorHasher) write(off int64, data []byte) {
	for len(data) > 0 && t.i < len(t.tensors) {
		cur := t.tensors[t.i]
		pos := cur.offset + t.done
		if off < pos { // header or padding before the tensor
			skip := min(pos-off, int64(len(data)))
			off, data = off+skip, data[skip:]
			continue
		}
		n := min(cur.size-t.done, int64(len(data)))
		t.h.Write(data[:n])
		t.done += n
		off, data = off+n, data[n:]
		if t.done == cur.size {
			t.sums[cur.target] = hex.EncodeToString(t.h.Sum(nil))
			t.h.Reset()
			t.i, t.done = t.i+1, 0
			t.closeEmpty()
		}
	}
}

// closeEmpty records zero-byte tensors at the cursor.
func (t *tensorHasher) closeEmpty() {
	for t.i < len(t.tensors) && t.tensors[t.i].size == 0 {
		t.sums[t.tensors[t.i].target] = hex.EncodeToString(t.h.Sum(nil))
		t.i++
	}
}

// complete reports whether every tensor was hashed.
func (t *tensorHasher) complete() bool { return t.i == len(t.tensors) }
