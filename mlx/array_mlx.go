//go:build mlx

package mlx

/*
#include <mlx/c/mlx.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

// Array is a handle to an MLX array. The zero value and arrays returned by
// failed operations are invalid. See the package doc for lifetime rules.
type Array struct {
	c     C.mlx_array
	owner *scope // nil when kept or freed
	err   error  // why the array is invalid
}

var errFreed = errors.New("mlx: array was freed")

// Valid reports whether a holds a live MLX array.
func (a *Array) Valid() bool { return a != nil && a.c.ctx != nil }

// Free releases the array now; later use sees an invalid array. It is safe to
// call twice and from any goroutine.
func (a *Array) Free() {
	if a == nil {
		return
	}
	onWorkerDo(a.free)
}

func (a *Array) free() {
	if a.c.ctx != nil {
		C.mlx_array_free(a.c)
		a.c.ctx = nil
		a.err = errFreed
	}
	a.owner = nil
}

// Shape returns the dimensions (nil for an invalid array, empty for a scalar).
func (a *Array) Shape() []int {
	if !a.Valid() {
		return nil
	}
	n := int(C.mlx_array_ndim(a.c))
	shape := make([]int, n)
	if n == 0 {
		return shape
	}
	dims := unsafe.Slice(C.mlx_array_shape(a.c), n)
	for i, d := range dims {
		shape[i] = int(d)
	}
	return shape
}

// Ndim returns the number of dimensions (0 for an invalid array).
func (a *Array) Ndim() int {
	if !a.Valid() {
		return 0
	}
	return int(C.mlx_array_ndim(a.c))
}

// Dim returns the size of dimension i; negative i counts from the end. It
// returns 0 for an invalid array or an out-of-range i.
func (a *Array) Dim(i int) int {
	shape := a.Shape()
	if i < 0 {
		i += len(shape)
	}
	if i < 0 || i >= len(shape) {
		return 0
	}
	return shape[i]
}

// Size returns the number of elements (0 for an invalid array).
func (a *Array) Size() int {
	if !a.Valid() {
		return 0
	}
	return int(C.mlx_array_size(a.c))
}

// Dtype returns the element type (Float32 for an invalid array).
func (a *Array) Dtype() Dtype {
	if !a.Valid() {
		return Float32
	}
	return fromCDtype(C.mlx_array_dtype(a.c))
}

// String describes the array briefly, e.g. "Array(float32 [2 3])".
func (a *Array) String() string {
	if !a.Valid() {
		return "Array(invalid)"
	}
	return fmt.Sprintf("Array(%s %v)", a.Dtype(), a.Shape())
}

var toC = [...]C.mlx_dtype{
	Bool:     C.MLX_BOOL,
	Uint8:    C.MLX_UINT8,
	Int8:     C.MLX_INT8,
	Int16:    C.MLX_INT16,
	Int32:    C.MLX_INT32,
	Int64:    C.MLX_INT64,
	Float16:  C.MLX_FLOAT16,
	BFloat16: C.MLX_BFLOAT16,
	Float32:  C.MLX_FLOAT32,
	Float64:  C.MLX_FLOAT64,
	Uint16:   C.MLX_UINT16,
	Uint32:   C.MLX_UINT32,
	Uint64:   C.MLX_UINT64,
}

func cDtype(d Dtype) C.mlx_dtype { return toC[d] }

func fromCDtype(t C.mlx_dtype) Dtype {
	for d, c := range toC {
		if c == t {
			return Dtype(d)
		}
	}
	return Float32 // complex64 is not used by wanconv
}

// ---- plumbing shared by all operations --------------------------------------

// invalid returns an invalid array carrying err, recording err in the current
// Do (if any) unless an earlier error is already recorded.
func invalid(err error) *Array {
	if onWorker() {
		record(err)
	}
	return &Array{err: err}
}

// failf records a validation error of op and returns an invalid array.
func failf(op, format string, args ...any) *Array {
	return invalid(fmt.Errorf("mlx: %s: %s", op, fmt.Sprintf(format, args...)))
}

// begin checks that op runs inside Do and that its inputs are valid; it
// returns a non-nil invalid array when op must not run.
func begin(op string, inputs ...*Array) *Array {
	if !onWorker() || currentFrame() == nil {
		return &Array{err: fmt.Errorf("mlx: %s: %w", op, errOutsideDo)}
	}
	for i, a := range inputs {
		switch {
		case a == nil:
			return failf(op, "argument %d is nil", i+1)
		case a.c.ctx == nil:
			cause := a.err
			if cause == nil {
				cause = errors.New("zero Array")
			}
			return invalid(fmt.Errorf("mlx: %s: argument %d is invalid: %w", op, i+1, cause))
		}
	}
	return nil
}

// track puts a fresh handle into the current scope.
func track(c C.mlx_array) *Array {
	a := &Array{c: c}
	currentFrame().scope.add(a)
	return a
}

// finish turns the status of an mlx-c call that produced res into an Array.
func finish(op string, rc C.int, res C.mlx_array) *Array {
	if rc != 0 {
		if res.ctx != nil {
			C.mlx_array_free(res)
		}
		return invalid(fmt.Errorf("mlx: %s: %s", op, takeError()))
	}
	return track(res)
}

// cInts converts ints for mlx-c (pointer nil when empty).
func cInts(v []int) (*C.int, C.size_t) {
	if len(v) == 0 {
		return nil, 0
	}
	out := make([]C.int, len(v))
	for i, x := range v {
		out[i] = C.int(x)
	}
	return &out[0], C.size_t(len(v))
}

// cVector builds an mlx_vector_array of the inputs; free it with
// mlx_vector_array_free.
func cVector(op string, arrs []*Array) (C.mlx_vector_array, *Array) {
	if bad := begin(op, arrs...); bad != nil {
		return C.mlx_vector_array{}, bad
	}
	handles := make([]C.mlx_array, len(arrs))
	for i, a := range arrs {
		handles[i] = a.c
	}
	var first *C.mlx_array
	if len(handles) > 0 {
		first = &handles[0]
	}
	v := C.mlx_vector_array_new_data(first, C.size_t(len(handles)))
	if v.ctx == nil {
		return v, invalid(fmt.Errorf("mlx: %s: %s", op, takeError()))
	}
	return v, nil
}

// fromVector tracks every array of v.
func fromVector(op string, v C.mlx_vector_array) []*Array {
	n := int(C.mlx_vector_array_size(v))
	out := make([]*Array, n)
	for i := range out {
		res := C.mlx_array_new()
		out[i] = finish(op, C.mlx_vector_array_get(&res, v, C.size_t(i)), res)
	}
	return out
}
