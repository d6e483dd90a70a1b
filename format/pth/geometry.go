package pth

import (
	"math"

	"github.com/wanconv/wanconv/tensor"
)

// lastIndex returns the storage index (in elements) of the last element a
// view addresses: offset + Σ (shape[i]-1)·stride[i]. The view must have at
// least one element.
func lastIndex(offset int64, shape, stride []int64) (int64, error) {
	last := offset
	for i := range shape {
		if shape[i] <= 1 || stride[i] == 0 {
			continue
		}
		if shape[i]-1 > math.MaxInt64/stride[i] {
			return 0, errorf(ErrGeometry, "size %d × stride %d overflows", shape[i], stride[i])
		}
		step := (shape[i] - 1) * stride[i]
		if last > math.MaxInt64-step {
			return 0, errorf(ErrGeometry, "offset and strides overflow")
		}
		last += step
	}
	return last, nil
}

// checkView verifies that a view of dtype stays within storageBytes bytes.
func checkView(dt tensor.DType, offset int64, shape, stride []int64, storageBytes int64) error {
	if tensor.NumBytes(shape, dt) < 0 {
		return errorf(ErrGeometry, "shape %s overflows", tensor.ShapeString(shape))
	}
	if tensor.NumElements(shape) == 0 {
		return nil
	}
	last, err := lastIndex(offset, shape, stride)
	if err != nil {
		return err
	}
	esize := int64(dt.Size())
	if last >= math.MaxInt64/esize {
		return errorf(ErrGeometry, "storage offset %d and strides overflow", offset)
	}
	if end := (last + 1) * esize; end > storageBytes {
		return errorf(ErrGeometry, "shape %s, stride %v, storage offset %d reach byte %d of a %d-byte storage",
			tensor.ShapeString(shape), stride, offset, end, storageBytes)
	}
	return nil
}

// isContiguous reports whether the strides are those of a C-order tensor
// (dimensions of size 1 may have any stride).
func isContiguous(shape, stride []int64) bool {
	want := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] == 0 {
			return true
		}
		if shape[i] != 1 && stride[i] != want {
			return false
		}
		want *= shape[i]
	}
	return true
}
