package pth

import (
	"archive/zip"
	"io"
)

// minWindow is the smallest read window used when gathering a strided
// tensor whose storage span is much larger than the tensor.
const minWindow = 4 << 20

// ReadTensor fills dst (len == NumBytes) with the tensor's little-endian,
// C-order bytes, gathering strided views element run by element run.
func (pf *File) ReadTensor(name string, dst []byte) error {
	e, ok := pf.tensors[name]
	if !ok {
		return pf.noTensor(name)
	}
	if err := pf.readEntry(e, dst); err != nil {
		return &Error{File: pf.path, Tensor: name, Kind: kindOf(err, ErrRead), Err: err}
	}
	return nil
}

func (pf *File) readEntry(e *entry, dst []byte) error {
	n := e.info.NumBytes()
	if int64(len(dst)) != n {
		return errorf(ErrBufferSize, "destination holds %d bytes, tensor needs %d", len(dst), n)
	}
	if n == 0 {
		return nil
	}
	ra := pf.storageReader(e.st)
	esize := int64(e.info.DType.Size())
	var err error
	if e.contiguous {
		err = readFullAt(ra, dst, e.offset*esize)
	} else {
		err = gather(ra, e.st.size, e, dst)
	}
	if z, ok := ra.(*inflateReaderAt); ok {
		// A compressed entry's integrity is its CRC-32, which archive/zip
		// checks only at the end of the stream: finish it.
		if verr := z.verifyAndClose(); err == nil && verr != nil {
			err = errorf(ErrZip, "compressed entry %s: %w", e.st.zf.Name, verr)
		}
	}
	return err
}

// storageReader gives random access to a storage's bytes.
func (pf *File) storageReader(st *storage) io.ReaderAt {
	if st.zf != nil {
		return &inflateReaderAt{zf: st.zf}
	}
	return io.NewSectionReader(pf.ra, st.base, st.size)
}

func readFullAt(ra io.ReaderAt, p []byte, off int64) error {
	n, err := ra.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return readError(err, "reading %d bytes at storage byte %d", len(p), off)
}

// gather copies a strided view into dst in C order. The innermost
// dimensions that are contiguous form runs copied in one piece; runs are
// served from a window over the storage, so a permuted tensor is read in a
// single pass when its span is not much larger than the tensor itself.
func gather(ra io.ReaderAt, storageBytes int64, e *entry, dst []byte) error {
	esize := int64(e.info.DType.Size())
	var shape, stride []int64
	for i, d := range e.info.Shape {
		if d != 1 {
			shape = append(shape, d)
			stride = append(stride, e.stride[i])
		}
	}
	run := int64(1)
	k := len(shape)
	for k > 0 && stride[k-1] == run {
		run *= shape[k-1]
		k--
	}
	shape, stride = shape[:k], stride[:k]
	last, err := lastIndex(e.offset, shape, stride)
	if err != nil {
		return err
	}
	span := (last - e.offset + run) * esize
	win := &window{ra: ra, end: storageBytes, size: min(span, max(minWindow, int64(len(dst))))}
	runBytes := run * esize
	idx := make([]int64, k)
	addr := e.offset
	for out := int64(0); out < int64(len(dst)); out += runBytes {
		if err := win.copyAt(dst[out:out+runBytes], addr*esize); err != nil {
			return err
		}
		// advance the odometer over the outer dimensions
		for d := k - 1; d >= 0; d-- {
			idx[d]++
			addr += stride[d]
			if idx[d] < shape[d] {
				break
			}
			addr -= idx[d] * stride[d]
			idx[d] = 0
		}
	}
	return nil
}

// window caches one stretch of a storage.
type window struct {
	ra         io.ReaderAt
	end        int64 // storage size
	size       int64 // window capacity
	buf        []byte
	start, len int64
}

func (w *window) copyAt(p []byte, off int64) error {
	for len(p) > 0 {
		if off >= w.start && off < w.start+w.len {
			c := copy(p, w.buf[off-w.start:w.len])
			p = p[c:]
			off += int64(c)
			continue
		}
		if w.buf == nil {
			w.buf = make([]byte, w.size)
		}
		n := min(w.size, w.end-off)
		if n <= 0 {
			return errorf(ErrGeometry, "storage byte %d is past its end %d", off, w.end)
		}
		if err := readFullAt(w.ra, w.buf[:n], off); err != nil {
			return err
		}
		w.start, w.len = off, n
	}
	return nil
}

// inflateReaderAt reads a deflated zip entry at arbitrary offsets by
// decompressing forward, restarting from the beginning for backward reads.
// Only the bytes asked for are kept. Not safe for concurrent use.
type inflateReaderAt struct {
	zf  *zip.File
	rc  io.ReadCloser
	pos int64
}

func (z *inflateReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errorf(ErrRead, "negative offset")
	}
	if z.rc == nil || off < z.pos {
		if z.rc != nil {
			z.rc.Close()
		}
		rc, err := z.zf.Open()
		if err != nil {
			return 0, err
		}
		z.rc, z.pos = rc, 0
	}
	if off > z.pos {
		skipped, err := io.CopyN(io.Discard, z.rc, off-z.pos)
		z.pos += skipped
		if err != nil {
			return 0, err
		}
	}
	n, err := io.ReadFull(z.rc, p)
	z.pos += int64(n)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// verifyAndClose decompresses the rest of the entry, so that archive/zip
// compares its CRC-32 (zip.ErrChecksum on a mismatch), and closes it.
func (z *inflateReaderAt) verifyAndClose() error {
	if z.rc == nil {
		rc, err := z.zf.Open()
		if err != nil {
			return err
		}
		z.rc = rc
	}
	_, err := io.Copy(io.Discard, z.rc)
	if cerr := z.rc.Close(); err == nil {
		err = cerr
	}
	z.rc = nil
	return err
}
