package synth

import (
	"encoding/binary"
	"hash/fnv"
	"io"

	"github.com/wanconv/wanconv/tensor"
)

// filler produces a tensor's pseudo-random bytes: a xorshift64* stream
// seeded from the run seed and the tensor name, so a tensor's values do not
// depend on sharding or on which other tensors are written. Every value is
// a float of magnitude in [2^-8, 1) with a random sign and mantissa.
type filler struct{ state uint64 }

func newFiller(seed uint64, name string) *filler {
	h := fnv.New64a()
	h.Write([]byte(name))
	s := h.Sum64() ^ (seed * 0x9e3779b97f4a7c15)
	if s == 0 {
		s = 1
	}
	f := &filler{state: s}
	for i := 0; i < 4; i++ { // decorrelate close seeds
		f.next()
	}
	return f
}

func (f *filler) next() uint64 {
	x := f.state
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	f.state = x
	return x * 0x2545f4914f6cdd1d
}

// smallFloat32 maps 32 random bits to float32 bits of a small value.
func smallFloat32(r uint32) uint32 {
	return r&0x807fffff | (119+(r>>23)&7)<<23
}

// small16 maps 16 random bits to a small bfloat16 or float16 value.
func small16(r uint16, dt tensor.DType) uint16 {
	if dt == tensor.BF16 {
		return r&0x807f | (119+(r>>7)&7)<<7
	}
	return r&0x83ff | (7+(r>>10)&7)<<10
}

// fill writes n bytes of dt values to w in chunks.
func (f *filler) fill(w io.Writer, dt tensor.DType, n int64) error {
	buf := make([]byte, 1<<20)
	for n > 0 {
		c := min(n, int64(len(buf)))
		f.block(buf[:c], dt)
		if _, err := w.Write(buf[:c]); err != nil {
			return err
		}
		n -= c
	}
	return nil
}

// block fills b (a whole number of elements) with values of type dt.
func (f *filler) block(b []byte, dt tensor.DType) {
	switch dt {
	case tensor.F32:
		for i := 0; i+8 <= len(b); i += 8 {
			r := f.next()
			binary.LittleEndian.PutUint32(b[i:], smallFloat32(uint32(r)))
			binary.LittleEndian.PutUint32(b[i+4:], smallFloat32(uint32(r>>32)))
		}
		if len(b)%8 != 0 {
			binary.LittleEndian.PutUint32(b[len(b)-4:], smallFloat32(uint32(f.next())))
		}
	case tensor.BF16, tensor.F16:
		for i := 0; i < len(b); i += 8 {
			r := f.next()
			for j := 0; j < 4 && i+2*j < len(b); j++ {
				binary.LittleEndian.PutUint16(b[i+2*j:], small16(uint16(r>>(16*j)), dt))
			}
		}
	default:
		for i := 0; i < len(b); i += 8 {
			var tmp [8]byte
			binary.LittleEndian.PutUint64(tmp[:], f.next())
			copy(b[i:], tmp[:])
		}
	}
}
