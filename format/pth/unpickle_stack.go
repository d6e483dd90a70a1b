package pth

// The unpickler's input (bounded reads) and its stack, marks and memo, each
// with the limit that keeps a hostile pickle from exhausting memory.

import (
	"bytes"
	"io"
)

var errTruncated = errorf(ErrTruncated, "pickle is truncated (no STOP before the end of the data)")

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
			return "", errorf(ErrLimit, "GLOBAL line too long")
		}
		line = append(line, b)
	}
}

func (u *unpickler) push(v any) error {
	if len(u.stack) >= maxStackItems {
		return errorf(ErrLimit, "pickle stack too deep")
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
		return nil, errorf(ErrPickle, "pickle stack underflow")
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
		return nil, errorf(ErrPickle, "pickle stack underflow")
	}
	return u.stack[len(u.stack)-1], nil
}

// popMark returns the items pushed since the last MARK and drops the mark.
func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, errorf(ErrPickle, "MARK expected on the stack")
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
		return errorf(ErrLimit, "too many memo entries")
	}
	u.memo[key] = v
	return nil
}

func (u *unpickler) memoGet(key uint32) error {
	v, ok := u.memo[key]
	if !ok {
		return errorf(ErrPickle, "memo key %d was never stored", key)
	}
	return u.push(v)
}
