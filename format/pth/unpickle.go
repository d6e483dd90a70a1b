package pth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
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

var errTruncated = errors.New("pickle is truncated (no STOP before the end of the data)")

func (u *unpickler) readByte() (byte, error) {
	if u.pos >= u.limit {
		return 0, errTruncated
	}
	b, err := u.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, errTruncated
		}
		return 0, err
	}
	u.pos++
	return b, nil
}

// read returns the next n bytes; n is checked against the remaining budget
// before anything is allocated.
func (u *unpickler) read(n uint64) ([]byte, error) {
	if n > uint64(u.limit-u.pos) {
		return nil, errTruncated
	}
	if n > growThreshold {
		// The declared length may lie: let the buffer grow with the data
		// actually present instead of allocating it up front.
		var buf bytes.Buffer
		got, err := io.CopyN(&buf, u.r, int64(n))
		u.pos += got
		if err == io.EOF {
			return nil, errTruncated
		}
		return buf.Bytes(), err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(u.r, buf); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, errTruncated
		}
		return nil, err
	}
	u.pos += int64(n)
	return buf, nil
}

func (u *unpickler) readUint(size int) (uint64, error) {
	b, err := u.read(uint64(size))
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := size - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v, nil
}

// readLine reads a newline-terminated line (GLOBAL arguments).
func (u *unpickler) readLine() (string, error) {
	var line []byte
	for {
		b, err := u.readByte()
		if err != nil {
			return "", err
		}
		if b == '\n' {
			return string(line), nil
		}
		if len(line) >= maxLineBytes {
			return "", errors.New("GLOBAL line too long")
		}
		line = append(line, b)
	}
}

func (u *unpickler) push(v any) error {
	if len(u.stack) >= maxStackItems {
		return errors.New("pickle stack too deep")
	}
	u.stack = append(u.stack, v)
	return nil
}

func (u *unpickler) pop() (any, error) {
	base := 0
	if len(u.marks) > 0 {
		base = u.marks[len(u.marks)-1]
	}
	if len(u.stack) <= base {
		return nil, errors.New("pickle stack underflow")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	return v, nil
}

func (u *unpickler) top() (any, error) {
	base := 0
	if len(u.marks) > 0 {
		base = u.marks[len(u.marks)-1]
	}
	if len(u.stack) <= base {
		return nil, errors.New("pickle stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark returns the items pushed since the last MARK and drops the mark.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, errors.New("MARK expected on the stack")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) popTuple(n int) error {
	items := make(pyTuple, n)
	for i := n - 1; i >= 0; i-- {
		v, err := u.pop()
		if err != nil {
			return err
		}
		items[i] = v
	}
	return u.push(items)
}

func (u *unpickler) memoPut(key uint32) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	if _, ok := u.memo[key]; !ok && len(u.memo) >= maxMemoEntries {
		return errors.New("too many memo entries")
	}
	u.memo[key] = v
	return nil
}

func (u *unpickler) memoGet(key uint32) error {
	v, ok := u.memo[key]
	if !ok {
		return fmt.Errorf("memo key %d was never stored", key)
	}
	return u.push(v)
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
			return fmt.Errorf("unsupported pickle protocol %d", v)
		}
		return nil
	case opFrame:
		_, err := u.readUint(8)
		return err
	case opMark:
		if len(u.marks) >= maxMarkDepth {
			return errors.New("pickle nesting too deep")
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
		return fmt.Errorf("unsupported pickle opcode 0x%02x", op)
	}
}

func (u *unpickler) long(op byte) error {
	size := 1
	if op == opLong4 {
		size = 4
	}
	n, err := u.readUint(size)
	if err != nil {
		return err
	}
	if n > maxLongBytes {
		return fmt.Errorf("integer of %d bytes is too large", n)
	}
	b, err := u.read(n)
	if err != nil {
		return err
	}
	if n <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		if n > 0 && n < 8 && b[n-1]&0x80 != 0 {
			v |= ^uint64(0) << (8 * n) // sign-extend
		}
		return u.push(int64(v))
	}
	// Wider than int64: two's complement little-endian into a big.Int.
	be := make([]byte, n)
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	v := new(big.Int).SetBytes(be)
	if b[n-1]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	return u.push(v)
}

func (u *unpickler) text(op byte) error {
	var size int
	switch op {
	case opShortBinUni, opShortBinBytes:
		size = 1
	case opBinUnicode, opBinBytes:
		size = 4
	default:
		size = 8
	}
	n, err := u.readUint(size)
	if err != nil {
		return err
	}
	b, err := u.read(n)
	if err != nil {
		return err
	}
	if op == opShortBinBytes || op == opBinBytes || op == opBinBytes8 {
		return u.push(b)
	}
	return u.push(string(b))
}

// fill handles APPEND(S) and SETITEM(S).
func (u *unpickler) fill(op byte) error {
	var items []any
	var err error
	switch op {
	case opAppend:
		var v any
		if v, err = u.pop(); err == nil {
			items = []any{v}
		}
	case opSetItem:
		var k, v any
		if v, err = u.pop(); err == nil {
			if k, err = u.pop(); err == nil {
				items = []any{k, v}
			}
		}
	default:
		items, err = u.popMark()
	}
	if err != nil {
		return err
	}
	target, err := u.top()
	if err != nil {
		return err
	}
	if op == opAppend || op == opAppends {
		l, ok := target.(*pyList)
		if !ok {
			return fmt.Errorf("APPEND to a %s", typeName(target))
		}
		l.items = append(l.items, items...)
		return nil
	}
	d, ok := target.(*pyDict)
	if !ok {
		return fmt.Errorf("SETITEM on a %s", typeName(target))
	}
	return setItems(d, items)
}

func setItems(d *pyDict, kv []any) error {
	if len(kv)%2 != 0 {
		return errors.New("odd number of items for a dict")
	}
	for i := 0; i < len(kv); i += 2 {
		if err := d.set(kv[i], kv[i+1]); err != nil {
			return err
		}
	}
	return nil
}
