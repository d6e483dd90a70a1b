//go:build mlx

package mlx

/*
#include <mlx/c/mlx.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// Array is a handle to an MLX array. The zero value and arrays returned by
// failed operations are invalid. See the package doc for lifetime rules.
//
// The MLX handle, the owner and err are touched only on the worker. Shape
// and dtype are read from MLX once, when the handle is tracked, and never
// change; live is atomic. So the accessors (Valid, Shape, Dtype, ...) may be
// called from any goroutine, also while another one frees the array.
type Array struct {
	c     C.mlx_array
	owner *scope // nil when kept or freed
	err   error  // why the array is invalid
	live  atomic.Bool
	shape []int
	dtype Dtype
}

var (
	errFreed = errors.New("mlx: array was freed")
	// liveArrays counts tracked handles not yet freed.
	liveArrays atomic.Int64
)

// LiveArrays returns the number of arrays created and not yet freed (by
// their scope or by Free). Once Do has returned, the arrays of its scope are
// no longer counted, so tests can assert exact counts.
func LiveArrays() int64 { return liveArrays.Load() }

// Valid reports whether a holds a live MLX array.
func (a *Array) Valid() bool { return a != nil && a.live.Load() }

// Free releases the array now; later use sees an invalid array. It is safe to
// call twice and from any goroutine.
func (a *Array) Free() {
	if a == nil {
		return
	}
	onWorkerDo(a.free)
}

// free releases the handle. Worker-only.
func (a *Array) free() {
	if a.c.ctx != nil {
		a.live.Store(false)
		liveArrays.Add(-1)
		release("array", func() C.int { return C.mlx_array_free(a.c) })
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
	return append([]int{}, a.shape...)
}

// Ndim returns the number of dimensions (0 for an invalid array).
func (a *Array) Ndim() int {
	if !a.Valid() {
		return 0
	}
	return len(a.shape)
}

// Dim returns the size of dimension i; negative i counts from the end. It
// returns 0 for an invalid array or an out-of-range i.
func (a *Array) Dim(i int) int {
	if !a.Valid() {
		return 0
	}
	if i < 0 {
		i += len(a.shape)
	}
	if i < 0 || i >= len(a.shape) {
		return 0
	}
	return a.shape[i]
}

// Size returns the number of elements (0 for an invalid array).
func (a *Array) Size() int {
	if !a.Valid() {
		return 0
	}
	n := 1
	for _, d := range a.shape {
		n *= d
	}
	return n
}

// Dtype returns the element type, InvalidDtype for an invalid or freed
// array (and for MLX types this package does not name, such as complex64).
func (a *Array) Dtype() Dtype {
	if !a.Valid() {
		return InvalidDtype
	}
	return a.dtype
}

// String describes the array briefly, e.g. "Array(float32 [2 3])".
func (a *Array) String() string {
	if !a.Valid() {
		return "Array(invalid)"
	}
	return fmt.Sprintf("Array(%s %v)", a.dtype, a.shape)
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
	return InvalidDtype // complex64 is not used by wanconv
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
// returns a non-nil invalid array when op must not run. It empties the error
// buffer for the mlx-c call that follows.
func begin(op string, inputs ...*Array) *Array {
	if !onWorker() || currentFrame() == nil {
		return &Array{err: fmt.Errorf("mlx: %s: %w", op, errOutsideDo)}
	}
	clearError()
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

// track puts a fresh handle into the current scope, reading its shape and
// dtype once.
func track(c C.mlx_array) *Array {
	a := &Array{c: c, dtype: fromCDtype(C.mlx_array_dtype(c))}
	n := int(C.mlx_array_ndim(c))
	a.shape = make([]int, n)
	if n > 0 {
		for i, d := range unsafe.Slice(C.mlx_array_shape(c), n) {
			a.shape[i] = int(d)
		}
	}
	a.live.Store(true)
	liveArrays.Add(1)
	currentFrame().scope.add(a)
	return a
}

// finish turns the status of an mlx-c call that produced res into an Array.
// The call must have been made with an empty error buffer (begin empties it).
func finish(op string, rc C.int, res C.mlx_array) *Array {
	if rc != 0 {
		err := fmt.Errorf("mlx: %s: %s", op, takeError(rc))
		if res.ctx != nil {
			release("array", func() C.int { return C.mlx_array_free(res) })
		}
		return invalid(err)
	}
	return track(res)
}

// run makes a result handle, calls mlx-c with an empty error buffer and
// tracks the result. Worker-only, after begin.
func run(op string, call func(res *C.mlx_array) C.int) *Array {
	res := C.mlx_array_new()
	clearError()
	rc := call(&res)
	return finish(op, rc, res)
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
	clearError()
	v := C.mlx_vector_array_new_data(first, C.size_t(len(handles)))
	if v.ctx == nil {
		return v, invalid(fmt.Errorf("mlx: %s: %s", op, takeError(1)))
	}
	return v, nil
}

// fromVector tracks every array of v; on failure it frees those already
// taken and returns want invalid arrays (want 0: as many as v holds).
func fromVector(op string, v C.mlx_vector_array, want int) []*Array {
	n := int(C.mlx_vector_array_size(v))
	if want > 0 && n != want {
		return pieces(want, failf(op, "MLX returned %d arrays, want %d", n, want))
	}
	out := make([]*Array, n)
	for i := range out {
		out[i] = run(op, func(res *C.mlx_array) C.int { return C.mlx_vector_array_get(res, v, C.size_t(i)) })
		if !out[i].Valid() {
			for _, a := range out[:i] {
				a.free()
			}
			return pieces(max(n, want), out[i])
		}
	}
	return out
}

// pieces returns n copies of the invalid array bad.
func pieces(n int, bad *Array) []*Array {
	out := make([]*Array, n)
	for i := range out {
		out[i] = bad
	}
	return out
}
