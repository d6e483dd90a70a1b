package safetensors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/wanconv/wanconv/internal/safefs"

	"github.com/wanconv/wanconv/tensor"
)

// MaxHeaderSize caps the JSON header length accepted by Open (100 MiB), so a
// corrupt length prefix cannot make the reader allocate without bound.
const MaxHeaderSize = 100 << 20

// lengthPrefix is the size of the little-endian header length.
const lengthPrefix = 8

// File is one opened safetensors file. Its header has been validated; tensor
// data is read on demand. Reads (ReadTensor, Section readers) may run
// concurrently; Close must not overlap them.
type File struct {
	path      string
	r         io.ReaderAt
	closer    io.Closer
	dataStart int64
	metadata  map[string]string
	infos     []tensor.Info // sorted by name
	entries   map[string]entry
}

var _ tensor.SectionSource = (*File)(nil)

// Open opens the safetensors file at path and validates its header, reading
// nothing beyond the header.
func Open(path string) (*File, error) { return OpenWith(safefs.OpenRegular, path) }

// Opener opens a file for reading. Open uses safefs.OpenRegular (regular
// files only, never blocking); a caller confining reads to a directory
// passes (*safefs.Root).OpenPath.
type Opener func(path string) (*os.File, error)

// OpenWith is Open with the file opened by open.
func OpenWith(open Opener, path string) (*File, error) {
	f, err := open(path)
	if errors.Is(err, safefs.ErrNotRegular) {
		return nil, &Error{File: path, Kind: ErrNotRegular, Err: err}
	}
	if err != nil {
		return nil, &Error{File: path, Kind: ErrRead, Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &Error{File: path, Kind: ErrRead, Err: err}
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &Error{File: path, Kind: ErrNotRegular, Detail: st.Mode().Type().String()}
	}
	sf, err := parse(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.closer = f
	return sf, nil
}

// parse reads and validates the header of a size-byte safetensors image
// readable through r; name is used in messages.
func parse(r io.ReaderAt, size int64, name string) (*File, error) {
	if size < lengthPrefix {
		return nil, &Error{File: name, Kind: ErrTooShort, Detail: fmt.Sprintf("%d bytes", size)}
	}
	var prefix [lengthPrefix]byte
	if _, err := io.ReadFull(io.NewSectionReader(r, 0, lengthPrefix), prefix[:]); err != nil {
		return nil, &Error{File: name, Kind: ErrRead, Detail: "header length", Err: err}
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > MaxHeaderSize {
		return nil, &Error{File: name, Kind: ErrHeaderTooLarge,
			Detail: fmt.Sprintf("%d bytes, limit %d", n, MaxHeaderSize)}
	}
	hlen := int64(n)
	if hlen > size-lengthPrefix {
		return nil, &Error{File: name, Kind: ErrHeaderBeyondEOF,
			Detail: fmt.Sprintf("header of %d bytes, file of %d bytes", hlen, size)}
	}
	raw := make([]byte, hlen)
	if _, err := io.ReadFull(io.NewSectionReader(r, lengthPrefix, hlen), raw); err != nil {
		return nil, &Error{File: name, Kind: ErrRead, Detail: "header", Err: err}
	}
	meta, entries, err := parseHeaderJSON(name, raw)
	if err != nil {
		return nil, err
	}
	dataStart := lengthPrefix + hlen
	if err := checkLayout(name, entries, size-dataStart); err != nil {
		return nil, err
	}
	f := &File{path: name, r: r, dataStart: dataStart, metadata: meta,
		infos: make([]tensor.Info, 0, len(entries)), entries: make(map[string]entry, len(entries))}
	for _, e := range entries {
		f.infos = append(f.infos, e.info)
		f.entries[e.info.Name] = e
	}
	tensor.SortInfos(f.infos)
	return f, nil
}

// Path is the file's path as given to Open.
func (f *File) Path() string { return f.path }

// Metadata returns a copy of the header's "__metadata__" map (nil if absent).
func (f *File) Metadata() map[string]string {
	if f.metadata == nil {
		return nil
	}
	m := make(map[string]string, len(f.metadata))
	for k, v := range f.metadata {
		m[k] = v
	}
	return m
}

// Tensors lists every tensor, sorted by name.
func (f *File) Tensors() []tensor.Info {
	return cloneInfos(f.infos)
}

// Lookup finds a tensor by name.
func (f *File) Lookup(name string) (tensor.Info, bool) {
	e, ok := f.entries[name]
	return cloneInfo(e.info), ok
}

// ReadTensor fills dst, whose length must be the tensor's byte size, with the
// tensor's bytes as stored (little-endian, C order).
func (f *File) ReadTensor(name string, dst []byte) error {
	sr, err := f.section(name)
	if err != nil {
		return err
	}
	if int64(len(dst)) != sr.Size() {
		return &Error{File: f.path, Tensor: name, Kind: ErrBufferSize,
			Detail: fmt.Sprintf("got %d bytes, tensor has %d", len(dst), sr.Size())}
	}
	if _, err := io.ReadFull(sr, dst); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		off, _, _ := sr.Outer()
		return &Error{File: f.path, Tensor: name, Kind: ErrRead,
			Detail: fmt.Sprintf("%d bytes at file offset %d", len(dst), off), Err: err}
	}
	return nil
}

// Section returns a reader over the tensor's bytes in the file; ok is always
// true since safetensors data is contiguous.
func (f *File) Section(name string) (r tensor.SectionReader, ok bool, err error) {
	sr, err := f.section(name)
	if err != nil {
		return nil, false, err
	}
	return sr, true, nil
}

func (f *File) section(name string) (*io.SectionReader, error) {
	e, ok := f.entries[name]
	if !ok {
		return nil, &Error{File: f.path, Tensor: name, Kind: ErrTensorNotFound}
	}
	return io.NewSectionReader(f.r, f.dataStart+e.begin, e.end-e.begin), nil
}

// Close closes the underlying file.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

func cloneInfo(i tensor.Info) tensor.Info {
	shape := make([]int64, len(i.Shape))
	copy(shape, i.Shape)
	i.Shape = shape
	return i
}

// cloneInfos copies every description with cloneInfo.
func cloneInfos(infos []tensor.Info) []tensor.Info {
	out := make([]tensor.Info, len(infos))
	for i, info := range infos {
		out[i] = cloneInfo(info)
	}
	return out
}
