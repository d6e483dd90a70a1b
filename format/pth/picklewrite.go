package pth

import (
	"bytes"
	"encoding/binary"
	"math/big"
)

// pickleBuf assembles a protocol 2 pickle. Pickles hold only metadata, so
// they are built in memory.
type pickleBuf struct{ bytes.Buffer }

func newPickle() *pickleBuf {
	p := &pickleBuf{}
	p.WriteByte(opProto)
	p.WriteByte(2)
	return p
}

func (p *pickleBuf) op(code byte) { p.WriteByte(code) }

func (p *pickleBuf) global(module, name string) {
	p.op(opGlobal)
	p.WriteString(module + "\n" + name + "\n")
}

func (p *pickleBuf) str(s string) {
	p.op(opBinUnicode)
	p.uint32(uint32(len(s)))
	p.WriteString(s)
}

func (p *pickleBuf) uint32(v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	p.Write(b[:])
}

// int writes v in the shortest integer opcode.
func (p *pickleBuf) int(v int64) {
	switch {
	case v >= 0 && v < 1<<8:
		p.op(opBinInt1)
		p.WriteByte(byte(v))
	case v >= 0 && v < 1<<16:
		p.op(opBinInt2)
		p.WriteByte(byte(v))
		p.WriteByte(byte(v >> 8))
	case v >= -1<<31 && v < 1<<31:
		p.op(opBinInt)
		p.uint32(uint32(int32(v)))
	default:
		p.long(big.NewInt(v))
	}
}

// long writes v as LONG1 in minimal two's complement, little-endian.
func (p *pickleBuf) long(v *big.Int) {
	n := v.BitLen()/8 + 1
	mod := new(big.Int).Lsh(big.NewInt(1), uint(8*n))
	u := new(big.Int).Mod(v, mod) // two's complement for negatives
	be := u.FillBytes(make([]byte, n))
	p.op(opLong1)
	p.WriteByte(byte(n))
	for i := n - 1; i >= 0; i-- {
		p.WriteByte(be[i])
	}
}

// tuple writes a tuple of ints.
func (p *pickleBuf) intTuple(vs []int64) {
	if len(vs) == 0 {
		p.op(opEmptyTuple)
		return
	}
	p.op(opMark)
	for _, v := range vs {
		p.int(v)
	}
	p.op(opTuple)
}

func (p *pickleBuf) emptyOrderedDict() {
	p.global("collections", "OrderedDict")
	p.op(opEmptyTuple)
	p.op(opReduce)
}

// stateDictPickle writes the OrderedDict of _rebuild_tensor_v2 calls that
// torch.save produces for a state dict. Legacy persistent ids carry a
// sixth field, view_metadata (None).
func stateDictPickle(plan *writePlan, legacy bool) []byte {
	const batch = 1000 // items per SETITEMS, as pickle does
	p := newPickle()
	p.emptyOrderedDict()
	for i, t := range plan.tensors {
		if i%batch == 0 {
			p.op(opMark)
		}
		p.str(t.name)
		p.global("torch._utils", "_rebuild_tensor_v2")
		p.op(opMark)
		p.op(opMark)
		p.str("storage")
		cls, _ := storageClassName(t.st.DType)
		p.global("torch", cls)
		p.str(t.st.key)
		p.str("cpu")
		p.int(t.st.Numel)
		if legacy {
			p.op(opNone)
		}
		p.op(opTuple)
		p.op(opBinPersID)
		p.int(t.offset)
		p.intTuple(t.shape)
		p.intTuple(t.stride)
		p.op(opNewFalse)
		p.emptyOrderedDict()
		p.op(opTuple)
		p.op(opReduce)
		if i%batch == batch-1 || i == len(plan.tensors)-1 {
			p.op(opSetItems)
		}
	}
	p.op(opStop)
	return p.Bytes()
}
