package pth

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Limits that keep a hostile pickle from exhausting memory.
const (
	maxPickleBytes = 256 << 20 // bytes of one pickle
	maxStackItems  = 1 << 20   // values on the stack at once
	maxMarkDepth   = 256       // nested MARKs (tuples/lists/dicts being built)
	maxMemoEntries = 1 << 20   // memo slots
	maxLineBytes   = 512       // module or name line of GLOBAL
	maxLongBytes   = 64        // bytes of a LONG1/LONG4 integer
	growThreshold  = 1 << 20   // longer strings are read without trusting their length
)

// byteReader is what the unpickler reads from.
type byteReader interface {
	io.Reader
	io.ByteReader
}

// unpickler interprets one pickle. It never calls anything outside the
// allow-list (see allowlist.go) and never recurses, so hostile input can
// only produce errors.
type unpickler struct {
	r        byteReader
	pos      int64 // bytes consumed so far
	limit    int64 // bytes this pickle may consume
	stack    []any
	marks    []int
	memo     map[uint32]any
	persLoad func(pid pyTuple) (any, error)
}

// unpickle decodes one pickle from r, reading at most limit bytes, and
// returns the object and the number of bytes consumed. persLoad resolves
// persistent ids (BINPERSID); nil refuses them.
func unpickle(r byteReader, limit int64, persLoad func(pyTuple) (any, error)) (any, int64, error) {
	if limit > maxPickleBytes {
		limit = maxPickleBytes
	}
	u := &unpickler{r: r, limit: limit, memo: map[uint32]any{}, persLoad: persLoad}
	v, err := u.run()
	if err != nil {
		return nil, u.pos, fmt.Errorf("pickle byte %d: %w", u.pos, err)
	}
	return v, u.pos, nil
}

// run executes opcodes until STOP.
func (u *unpickler) run() (any, error) {
	for {
		op, err := u.readByte()
		if err != nil {
			return nil, err
		}
		if op == opStop {
			return u.pop()
		}
		if err := u.step(op); err != nil {
			return nil, err
		}
	}
}

// step executes one opcode other than STOP.
func (u *unpickler) step(op byte) error {
	switch op {
	case opProto:
		v, err := u.readByte()
		if err != nil {
			return err
		}
		if v > highestProtocol {
			return errorf(ErrUnsupported, "unsupported pickle protocol %d", v)
		}
		return nil
	case opFrame:
		_, err := u.readUint(8)
		return err
	case opMark:
		if len(u.marks) >= maxMarkDepth {
			return errorf(ErrLimit, "pickle nesting too deep")
		}
		u.marks = append(u.marks, len(u.stack))
		return nil
	case opPop:
		_, err := u.pop()
		return err
	case opPopMark:
		_, err := u.popMark()
		return err
	case opDup:
		v, err := u.top()
		if err != nil {
			return err
		}
		return u.push(v)
	case opNone:
		return u.push(nil)
	case opNewTrue:
		return u.push(true)
	case opNewFalse:
		return u.push(false)
	case opBinInt:
		v, err := u.readUint(4)
		if err != nil {
			return err
		}
		return u.push(int64(int32(uint32(v))))
	case opBinInt1:
		v, err := u.readUint(1)
		if err != nil {
			return err
		}
		return u.push(int64(v))
	case opBinInt2:
		v, err := u.readUint(2)
		if err != nil {
			return err
		}
		return u.push(int64(v))
	case opLong1, opLong4:
		return u.long(op)
	case opBinFloat:
		b, err := u.read(8)
		if err != nil {
			return err
		}
		return u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
	case opShortBinUni, opBinUnicode, opBinUnicode8, opShortBinBytes, opBinBytes, opBinBytes8:
		return u.text(op)
	case opEmptyDict:
		return u.push(newDict())
	case opEmptyList:
		return u.push(&pyList{})
	case opEmptyTuple:
		return u.push(pyTuple{})
	case opTuple1, opTuple2, opTuple3:
		return u.popTuple(int(op-opTuple1) + 1)
	case opTuple:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.push(pyTuple(items))
	case opList:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.push(&pyList{items: items})
	case opDict:
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := newDict()
		if err := setItems(d, items); err != nil {
			return err
		}
		return u.push(d)
	case opAppend, opAppends, opSetItem, opSetItems:
		return u.fill(op)
	case opBinPut, opLongBinPut:
		size := 1
		if op == opLongBinPut {
			size = 4
		}
		k, err := u.readUint(size)
		if err != nil {
			return err
		}
		return u.memoPut(uint32(k))
	case opMemoize:
		return u.memoPut(uint32(len(u.memo)))
	case opBinGet, opLongBinGet:
		size := 1
		if op == opLongBinGet {
			size = 4
		}
		k, err := u.readUint(size)
		if err != nil {
			return err
		}
		return u.memoGet(uint32(k))
	case opGlobal, opStackGlobal:
		return u.global(op)
	case opReduce, opNewObj:
		return u.call(op)
	case opBuild:
		return u.build()
	case opBinPersID:
		return u.persistent()
	default:
		return errorf(ErrUnsupported, "unsupported pickle opcode 0x%02x", op)
	}
}
