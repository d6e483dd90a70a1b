package pth

// The opcodes that build values from their operands: integers, strings and
// the containers filled from the stack.

import (
	"math/big"
)

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
		return errorf(ErrLimit, "integer of %d bytes is too large", n)
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
			return errorf(ErrPickle, "APPEND to a %s", typeName(target))
		}
		l.items = append(l.items, items...)
		return nil
	}
	d, ok := target.(*pyDict)
	if !ok {
		return errorf(ErrPickle, "SETITEM on a %s", typeName(target))
	}
	return setItems(d, items)
}

func setItems(d *pyDict, kv []any) error {
	if len(kv)%2 != 0 {
		return errorf(ErrPickle, "odd number of items for a dict")
	}
	for i := 0; i < len(kv); i += 2 {
		if err := d.set(kv[i], kv[i+1]); err != nil {
			return err
		}
	}
	return nil
}
