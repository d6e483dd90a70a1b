package pth

import (
	"io"
	"strconv"

	"github.com/wanconv/wanconv/tensor"
)

// Storage is a shared block of elements that several Tensors may view.
type Storage struct {
	DType tensor.DType
	Numel int64
	// Data streams exactly Numel × DType.Size() little-endian bytes; nil
	// writes zeros (as holes, when writing straight to an *os.File).
	Data func(w io.Writer) error
}

// Tensor is one entry of a checkpoint to write. A plain tensor (Storage
// nil) owns a contiguous storage filled by Data (exactly NumBytes bytes; nil
// writes zeros). A view sets Storage instead (Data must be nil and DType
// either unset or the storage's), with StorageOffset and Stride in elements
// (nil Stride = C-contiguous).
type Tensor struct {
	Name  string
	DType tensor.DType
	Shape []int64
	Data  func(w io.Writer) error

	Storage       *Storage
	StorageOffset int64
	Stride        []int64
}

// plannedStorage is one storage to write, with its key.
type plannedStorage struct {
	key string
	*Storage
}

// plannedTensor is one state dict entry: a view into a planned storage.
type plannedTensor struct {
	name   string
	st     *plannedStorage
	offset int64
	shape  []int64
	stride []int64
}

// writePlan is the validated content of a checkpoint.
type writePlan struct {
	storages []*plannedStorage
	tensors  []plannedTensor
}

// planWrite validates the tensors and numbers their storages "0", "1", ...
// in order of first use.
func planWrite(tensors []Tensor) (*writePlan, error) {
	p := &writePlan{}
	keys := map[*Storage]*plannedStorage{}
	names := map[string]bool{}
	for i := range tensors {
		t := &tensors[i]
		if t.Name == "" || names[t.Name] {
			return nil, errorf(ErrInvalidInput, "tensor %d: empty or duplicate name %q", i, t.Name)
		}
		names[t.Name] = true
		pt, err := planTensor(t, keys, p)
		if err != nil {
			return nil, inTensor(t.Name, err, ErrInvalidInput)
		}
		p.tensors = append(p.tensors, pt)
	}
	return p, nil
}

func planTensor(t *Tensor, keys map[*Storage]*plannedStorage, p *writePlan) (plannedTensor, error) {
	st := t.Storage
	if st == nil {
		n := tensor.NumElements(t.Shape)
		if n < 0 {
			return plannedTensor{}, errorf(ErrInvalidInput, "bad shape %v", t.Shape)
		}
		if t.StorageOffset != 0 || t.Stride != nil {
			return plannedTensor{}, errorf(ErrInvalidInput, "StorageOffset and Stride need a Storage")
		}
		st = &Storage{DType: t.DType, Numel: n, Data: t.Data}
	} else if t.Data != nil || (t.DType != tensor.Invalid && t.DType != st.DType) {
		return plannedTensor{}, errorf(ErrInvalidInput, "a view takes its data and dtype from its Storage")
	}
	if _, ok := storageClassName(st.DType); !ok {
		return plannedTensor{}, errorf(ErrInvalidInput, "unsupported dtype %s", st.DType)
	}
	if st.Numel < 0 || tensor.NumBytes([]int64{st.Numel}, st.DType) < 0 {
		return plannedTensor{}, errorf(ErrInvalidInput, "bad storage size %d", st.Numel)
	}
	ps, ok := keys[st]
	if !ok {
		ps = &plannedStorage{key: strconv.Itoa(len(p.storages)), Storage: st}
		keys[st] = ps
		p.storages = append(p.storages, ps)
	}
	stride := t.Stride
	if stride == nil {
		stride = contiguousStrides(t.Shape)
	}
	if len(stride) != len(t.Shape) || t.StorageOffset < 0 {
		return plannedTensor{}, errorf(ErrInvalidInput, "stride rank differs from shape rank, or negative offset")
	}
	for i := range t.Shape {
		if t.Shape[i] < 0 || stride[i] < 0 {
			return plannedTensor{}, errorf(ErrInvalidInput, "negative size or stride")
		}
	}
	if err := checkView(st.DType, t.StorageOffset, t.Shape, stride, st.Numel*int64(st.DType.Size())); err != nil {
		return plannedTensor{}, err
	}
	return plannedTensor{name: t.Name, st: ps, offset: t.StorageOffset,
		shape: append([]int64(nil), t.Shape...), stride: append([]int64(nil), stride...)}, nil
}

// contiguousStrides returns C-order strides for shape.
func contiguousStrides(shape []int64) []int64 {
	stride := make([]int64, len(shape))
	acc := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		stride[i] = acc
		acc *= shape[i]
	}
	return stride
}

// storageClassName is the torch class of a storage of dt.
func storageClassName(dt tensor.DType) (string, bool) {
	for name, d := range storageClasses {
		if d == dt {
			return name, true
		}
	}
	return "", false
}

// writeStorageData streams one storage through s, checking its length.
func writeStorageData(s *sink, st *plannedStorage) error {
	n := st.Numel * int64(st.DType.Size())
	if st.Data == nil {
		return s.zeros(n)
	}
	lw := &exactWriter{w: s, left: n}
	if err := st.Data(lw); err != nil {
		return errorf(ErrWrite, "storage %s: %w", st.key, err)
	}
	if lw.left != 0 {
		return errorf(ErrWrite, "storage %s: Data wrote %d bytes, want %d", st.key, n-lw.left, n)
	}
	return nil
}

// exactWriter refuses to write more than left bytes.
type exactWriter struct {
	w    io.Writer
	left int64
}

func (e *exactWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > e.left {
		return 0, errorf(ErrWrite, "Data wrote more than the %d bytes expected", e.left)
	}
	n, err := e.w.Write(p)
	e.left -= int64(n)
	return n, err
}
