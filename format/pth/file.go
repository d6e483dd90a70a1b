package pth

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/tensor"
)

// Format names the on-disk layout of a checkpoint.
type Format string

const (
	FormatZip    Format = "zip"    // torch >= 1.6 default
	FormatLegacy Format = "legacy" // _use_new_zipfile_serialization=False
)

// File is an opened checkpoint. Its pickle has been decoded and every
// tensor's geometry validated; tensor bytes are read on demand. Methods are
// safe for concurrent use.
type File struct {
	path    string
	ra      io.ReaderAt
	closer  io.Closer
	format  Format
	tensors map[string]*entry
	infos   []tensor.Info
}

// entry is one tensor: a view into a storage.
type entry struct {
	info       tensor.Info
	st         *storage
	offset     int64 // elements from the start of st
	stride     []int64
	contiguous bool
}

// storage is where a storage's bytes live: in place at file offset base, or
// inside a compressed zip entry zf.
type storage struct {
	base int64
	size int64 // bytes
	zf   *zip.File
}

var _ tensor.SectionSource = (*File)(nil)

var (
	zipMagic      = []byte("PK\x03\x04")
	emptyZipMagic = []byte("PK\x05\x06")
)

// Open reads the pickle of the checkpoint at path and validates every
// tensor. The file stays open until Close.
func Open(path string) (*File, error) { return OpenWith(safefs.OpenRegular, path) }

// OpenWith is Open with the file opened by opener: Open uses
// safefs.OpenRegular (regular files only, never blocking); a caller
// confining reads to a directory passes (*safefs.Root).OpenPath.
func OpenWith(opener func(path string) (*os.File, error), path string) (*File, error) {
	f, err := opener(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	pf, err := open(path, f, fi.Size())
	if err != nil {
		f.Close()
		return nil, inFile(path, err)
	}
	pf.closer = f
	return pf, nil
}

// open decodes a checkpoint of size bytes read through ra; path is used in
// messages only.
func open(path string, ra io.ReaderAt, size int64) (*File, error) {
	head := make([]byte, 4)
	if err := readFullAt(ra, head, 0); err != nil {
		return nil, errorf(ErrNotCheckpoint, "too short to be a PyTorch checkpoint")
	}
	pf := &File{path: path, ra: ra}
	var err error
	var found []namedTensor
	var resolve func(key string) (*storage, error)
	switch {
	case bytes.Equal(head, zipMagic) || bytes.Equal(head, emptyZipMagic):
		pf.format = FormatZip
		found, resolve, err = readZip(ra, size)
	case head[0] == opProto:
		pf.format = FormatLegacy
		found, resolve, err = readLegacy(ra, size)
	default:
		return nil, errorf(ErrNotCheckpoint, "not a PyTorch checkpoint (neither a zip archive nor a pickle)")
	}
	if err != nil {
		return nil, err
	}
	if err := pf.addTensors(found, resolve); err != nil {
		return nil, err
	}
	return pf, nil
}

// addTensors resolves each tensor's storage and validates its geometry.
func (pf *File) addTensors(found []namedTensor, resolve func(string) (*storage, error)) error {
	pf.tensors = make(map[string]*entry, len(found))
	stores := map[string]*storage{}
	for _, nt := range found {
		ref := nt.ref
		st, ok := stores[ref.storage.key]
		if !ok {
			var err error
			if st, err = resolve(ref.storage.key); err != nil {
				return inTensor(nt.name, err, ErrStorage)
			}
			stores[ref.storage.key] = st
		}
		e, err := newEntry(nt.name, ref, st)
		if err != nil {
			return inTensor(nt.name, err, ErrGeometry)
		}
		if _, dup := pf.tensors[nt.name]; dup {
			return errorf(ErrDuplicateTensor, "tensor %q appears twice", nt.name)
		}
		pf.tensors[nt.name] = e
		pf.infos = append(pf.infos, e.info)
	}
	tensor.SortInfos(pf.infos)
	return nil
}

// newEntry checks that the storage view (numel elements at elemOffset) fits
// the storage and that the tensor fits the view.
func newEntry(name string, ref *tensorRef, st *storage) (*entry, error) {
	sr := ref.storage
	dt := sr.dtype
	esize := int64(dt.Size())
	if err := checkView(dt, sr.elemOffset, []int64{sr.numel}, []int64{1}, st.size); err != nil {
		return nil, fmt.Errorf("storage %q: %w", sr.key, err)
	}
	viewBytes := sr.numel * esize
	if err := checkView(dt, ref.offset, ref.shape, ref.stride, viewBytes); err != nil {
		return nil, err
	}
	return &entry{
		info:       tensor.Info{Name: name, DType: dt, Shape: ref.shape},
		st:         st,
		offset:     sr.elemOffset + ref.offset,
		stride:     ref.stride,
		contiguous: isContiguous(ref.shape, ref.stride),
	}, nil
}

// Path names the checkpoint file.
func (pf *File) Path() string { return pf.path }

// Format says whether the file is a zip or a legacy checkpoint.
func (pf *File) Format() Format { return pf.format }

// Tensors lists every tensor, sorted by name.
func (pf *File) Tensors() []tensor.Info {
	out := make([]tensor.Info, len(pf.infos))
	for i, in := range pf.infos {
		in.Shape = append([]int64(nil), in.Shape...)
		out[i] = in
	}
	return out
}

// Lookup finds a tensor by name.
func (pf *File) Lookup(name string) (tensor.Info, bool) {
	e, ok := pf.tensors[name]
	if !ok {
		return tensor.Info{}, false
	}
	in := e.info
	in.Shape = append([]int64(nil), in.Shape...)
	return in, true
}

// Section returns the tensor's bytes in place when they are contiguous in
// an uncompressed storage; ok is false otherwise.
func (pf *File) Section(name string) (tensor.SectionReader, bool, error) {
	e, ok := pf.tensors[name]
	if !ok {
		return nil, false, pf.noTensor(name)
	}
	if e.st.zf != nil || !e.contiguous {
		return nil, false, nil
	}
	esize := int64(e.info.DType.Size())
	return io.NewSectionReader(pf.ra, e.st.base+e.offset*esize, e.info.NumBytes()), true, nil
}

// Close closes the file.
func (pf *File) Close() error {
	if pf.closer == nil {
		return nil
	}
	return pf.closer.Close()
}

func (pf *File) noTensor(name string) error {
	return &Error{File: pf.path, Kind: ErrTensorNotFound, Err: fmt.Errorf("no tensor %q", name)}
}
