//go:build mlx

package mlx

// This file holds the cgo side of array construction and reading data back.

/*
#include <mlx/c/mlx.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func fromBytesOp(op string, data []byte, dt Dtype, shape []int) *Array {
	if bad := begin(op); bad != nil {
		return bad
	}
	if !dt.valid() {
		return failf(op, "unknown dtype %v", dt)
	}
	n, err := numElements(shape)
	if err != nil {
		return failf(op, "%v", err)
	}
	if want := n * dt.Size(); len(data) != want {
		return failf(op, "%d bytes of data for shape %v of %v (want %d)", len(data), shape, dt, want)
	}
	buf := unsafe.Pointer(nil)
	if len(data) > 0 {
		buf = unsafe.Pointer(&data[0])
	}
	p, nd := cInts(shape)
	res := C.mlx_array_new_data(buf, p, C.int(nd), cDtype(dt))
	if res.ctx == nil {
		return invalid(fmt.Errorf("mlx: %s: %s", op, takeError(1)))
	}
	return track(res)
}

func fillOp(op string, v float64, dt Dtype, shape []int) *Array {
	if bad := begin(op); bad != nil {
		return bad
	}
	if !dt.valid() {
		return failf(op, "unknown dtype %v", dt)
	}
	if _, err := numElements(shape); err != nil {
		return failf(op, "%v", err)
	}
	p, n := cInts(shape)
	res := C.mlx_array_new()
	switch op {
	case "Zeros":
		return finish(op, C.mlx_zeros(&res, p, n, cDtype(dt), stream), res)
	case "Ones":
		return finish(op, C.mlx_ones(&res, p, n, cDtype(dt), stream), res)
	}
	fill := ScalarOf(v, dt)
	if !fill.Valid() {
		return fill
	}
	return finish(op, C.mlx_full(&res, p, n, fill.c, cDtype(dt), stream), res)
}

func arangeOp(start, stop, step float64, dt Dtype) *Array {
	const op = "Arange"
	if bad := begin(op); bad != nil {
		return bad
	}
	if !dt.valid() {
		return failf(op, "unknown dtype %v", dt)
	}
	res := C.mlx_array_new()
	rc := C.mlx_arange(&res, C.double(start), C.double(stop), C.double(step), cDtype(dt), stream)
	return finish(op, rc, res)
}

// readAs evaluates a converted to dt and copies its row-major bytes. It
// records failures in the current Do and returns them.
func readAs(op string, a *Array, dt Dtype) ([]byte, error) {
	if bad := begin(op, a); bad != nil {
		return nil, bad.err
	}
	if fr := currentFrame(); fr.err != nil {
		return nil, fr.err
	}
	fail := func(err error) ([]byte, error) {
		record(err)
		return nil, err
	}
	src := a.c
	if a.dtype != dt {
		conv := C.mlx_array_new()
		defer release("array", func() C.int { return C.mlx_array_free(conv) }) // conv is set by mlx_astype
		if err := check(op, func() C.int { return C.mlx_astype(&conv, src, cDtype(dt), stream) }); err != nil {
			return fail(err)
		}
		src = conv
	}
	dense := C.mlx_array_new()
	defer release("array", func() C.int { return C.mlx_array_free(dense) }) // dense is set by mlx_contiguous
	if err := check(op, func() C.int { return C.mlx_contiguous(&dense, src, false, stream) }); err != nil {
		return fail(err)
	}
	if err := check(op, func() C.int { return C.mlx_array_eval(dense) }); err != nil {
		return fail(err)
	}
	n := int(C.mlx_array_nbytes(dense))
	out := make([]byte, n)
	if n == 0 {
		return out, nil
	}
	var ptr *C.uint8_t
	if err := check(op, func() C.int {
		if ptr = C.mlx_array_data_uint8(dense); ptr == nil {
			return 1
		}
		return 0
	}); err != nil {
		return fail(err)
	}
	copy(out, unsafe.Slice((*byte)(unsafe.Pointer(ptr)), n))
	return out, nil
}
