package pth

import (
	"hash"
	"io"
	"os"
)

// zeroChunk is a read-only block of zeros for padding and zero storages.
var zeroChunk = make([]byte, 64<<10)

// sink counts the bytes written and, when writing straight to a seekable
// *os.File, turns long runs of zeros into holes.
type sink struct {
	w    io.Writer
	file *os.File
	pos  int64
	crc  hash.Hash32 // when non-nil, every byte (zeros too) is hashed
}

func newSink(w io.Writer) *sink {
	s := &sink{w: w}
	if f, ok := w.(*os.File); ok {
		if _, err := f.Seek(0, io.SeekCurrent); err == nil {
			s.file = f
		}
	}
	return s
}

func (s *sink) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if s.crc != nil {
		s.crc.Write(p[:n])
	}
	s.pos += int64(n)
	return n, err
}

// zeros writes n zero bytes. On a file, runs of at least a chunk are
// skipped by seeking, with the last byte written so the file grows.
func (s *sink) zeros(n int64) error {
	if s.crc != nil {
		for left := n; left > 0; {
			c := min(left, int64(len(zeroChunk)))
			s.crc.Write(zeroChunk[:c])
			left -= c
		}
	}
	if s.file != nil && n > int64(len(zeroChunk)) {
		if _, err := s.file.Seek(n-1, io.SeekCurrent); err != nil {
			return err
		}
		if _, err := s.file.Write(zeroChunk[:1]); err != nil {
			return err
		}
		s.pos += n
		return nil
	}
	for n > 0 {
		c := min(n, int64(len(zeroChunk)))
		w, err := s.w.Write(zeroChunk[:c])
		s.pos += int64(w)
		if err != nil {
			return err
		}
		n -= c
	}
	return nil
}
