package safetensors

import (
	"fmt"
	"io"
	"sync"
)

// Writer fills a safetensors file through an io.WriterAt: NewWriter writes
// the header, then WriteTensor puts each tensor at its planned offset, in
// any order and, if the WriterAt allows it (an *os.File does), from several
// goroutines at once.
type Writer struct {
	w         io.WriterAt
	dataStart int64
	size      int64
	names     []string
	index     map[string]int
	offsets   [][2]int64

	mu      sync.Mutex
	written []bool
}

// NewWriter lays out entries with BuildHeader and writes the header at
// offset 0 of w.
func NewWriter(w io.WriterAt, entries []HeaderEntry, metadata map[string]string) (*Writer, error) {
	header, offsets, err := BuildHeader(entries, metadata)
	if err != nil {
		return nil, err
	}
	if _, err := w.WriteAt(header, 0); err != nil {
		return nil, &Error{Kind: ErrWrite, Detail: "header", Err: err}
	}
	wr := &Writer{w: w, dataStart: int64(len(header)), size: int64(len(header)),
		index: make(map[string]int, len(entries)), offsets: offsets, written: make([]bool, len(entries))}
	for i, e := range entries {
		wr.index[e.Name] = i
		wr.names = append(wr.names, e.Name)
	}
	if n := len(offsets); n > 0 {
		wr.size += offsets[n-1][1]
	}
	return wr, nil
}

// Size is the total size of the finished file in bytes.
func (w *Writer) Size() int64 { return w.size }

// WriteTensor writes the named tensor's bytes, which must have exactly the
// planned size. Each tensor may be written once.
func (w *Writer) WriteTensor(name string, data []byte) error {
	i, ok := w.index[name]
	if !ok {
		return &Error{Tensor: name, Kind: ErrTensorNotFound, Detail: "not in the planned header"}
	}
	off := w.offsets[i]
	if int64(len(data)) != off[1]-off[0] {
		return &Error{Tensor: name, Kind: ErrBufferSize, Detail: fmt.Sprintf("got %d bytes, tensor has %d", len(data), off[1]-off[0])}
	}
	w.mu.Lock()
	again := w.written[i]
	w.written[i] = true
	w.mu.Unlock()
	if again {
		return &Error{Tensor: name, Kind: ErrDuplicateTensor, Detail: "written twice"}
	}
	if _, err := w.w.WriteAt(data, w.dataStart+off[0]); err != nil {
		w.mu.Lock()
		w.written[i] = false // a retry may still complete the file
		w.mu.Unlock()
		return &Error{Tensor: name, Kind: ErrWrite, Err: err}
	}
	return nil
}

// Finish reports an error naming the first tensor (in header order) that was
// never written. It does not close the underlying writer.
func (w *Writer) Finish() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	missing := 0
	first := -1
	for i, done := range w.written {
		if !done {
			missing++
			if first < 0 {
				first = i
			}
		}
	}
	if missing > 0 {
		return &Error{Tensor: w.names[first], Kind: ErrIncomplete, Detail: fmt.Sprintf("%d of %d tensors not written", missing, len(w.names))}
	}
	return nil
}
