//go:build mlx

package mlx

// This file holds the cgo side of shape, layout and indexing operations.

/*
#include <stdlib.h>
#include <mlx/c/mlx.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func intsOp(op string, k intsKind, a *Array, v []int) *Array {
	if bad := begin(op, a); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	p, n := cInts(v)
	var rc C.int
	switch k {
	case opReshape:
		rc = C.mlx_reshape(&res, a.c, p, n, stream)
	case opTranspose:
		if n == 0 {
			rc = C.mlx_transpose(&res, a.c, stream)
		} else {
			rc = C.mlx_transpose_axes(&res, a.c, p, n, stream)
		}
	case opExpandDims:
		rc = C.mlx_expand_dims_axes(&res, a.c, p, n, stream)
	case opSqueeze:
		if n == 0 {
			rc = C.mlx_squeeze(&res, a.c, stream)
		} else {
			rc = C.mlx_squeeze_axes(&res, a.c, p, n, stream)
		}
	case opBroadcastTo:
		rc = C.mlx_broadcast_to(&res, a.c, p, n, stream)
	case opTile:
		rc = C.mlx_tile(&res, a.c, p, n, stream)
	default:
		return failf(op, "unknown layout kind %d", k)
	}
	return finish(op, rc, res)
}

func flattenOp(a *Array, start, end int) *Array {
	const op = "Flatten"
	if bad := begin(op, a); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	return finish(op, C.mlx_flatten(&res, a.c, C.int(start), C.int(end), stream), res)
}

func repeatOp(a *Array, repeats, axis int) *Array {
	const op = "Repeat"
	if bad := begin(op, a); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	return finish(op, C.mlx_repeat_axis(&res, a.c, C.int(repeats), C.int(axis), stream), res)
}

func takeOp(a, indices *Array, axis int) *Array {
	const op = "Take"
	if bad := begin(op, a, indices); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	return finish(op, C.mlx_take_axis(&res, a.c, indices.c, C.int(axis), stream), res)
}

func astypeOp(a *Array, dt Dtype) *Array {
	const op = "AsType"
	if bad := begin(op, a); bad != nil {
		return bad
	}
	if !dt.valid() {
		return failf(op, "unknown dtype %v", dt)
	}
	res := C.mlx_array_new()
	return finish(op, C.mlx_astype(&res, a.c, cDtype(dt), stream), res)
}

func joinOp(op string, stack bool, axis int, arrs []*Array) *Array {
	if len(arrs) == 0 {
		if bad := begin(op); bad != nil {
			return bad
		}
		return failf(op, "no arrays given")
	}
	v, bad := cVector(op, arrs)
	if bad != nil {
		return bad
	}
	defer release("vector", func() C.int { return C.mlx_vector_array_free(v) })
	res := C.mlx_array_new()
	if stack {
		return finish(op, C.mlx_stack_axis(&res, v, C.int(axis), stream), res)
	}
	return finish(op, C.mlx_concatenate_axis(&res, v, C.int(axis), stream), res)
}

// splitOp splits into `parts` equal pieces, or before `indices` when parts
// is 0. On failure it returns as many invalid arrays as pieces were asked
// for, so callers may index the result without checking its length.
func splitOp(op string, a *Array, parts int, indices []int, axis int) []*Array {
	want := max(parts, len(indices)+1)
	if bad := begin(op, a); bad != nil {
		return pieces(want, bad)
	}
	res := C.mlx_vector_array_new()
	defer release("vector", func() C.int { return C.mlx_vector_array_free(res) }) // res is rewritten by the call
	var rc C.int
	switch {
	case parts > 0:
		rc = C.mlx_split(&res, a.c, C.int(parts), C.int(axis), stream)
	case parts == 0 && len(indices) > 0:
		p, n := cInts(indices)
		rc = C.mlx_split_sections(&res, a.c, p, n, C.int(axis), stream)
	default:
		return pieces(want, failf(op, "need parts > 0 or split indices (got parts=%d)", parts))
	}
	if rc != 0 {
		return pieces(want, invalid(fmt.Errorf("mlx: %s: %s", op, takeError(rc))))
	}
	return fromVector(op, res, want)
}

func sliceOp(op string, a *Array, start, stop, strides []int) *Array {
	if bad := begin(op, a); bad != nil {
		return bad
	}
	nd := a.Ndim()
	if len(start) != nd || len(stop) != nd {
		return failf(op, "start %v and stop %v need one entry per axis of shape %v", start, stop, a.Shape())
	}
	strides = filled(strides, nd, 1)
	if len(strides) != nd {
		return failf(op, "strides %v need one entry per axis of shape %v", strides, a.Shape())
	}
	res := C.mlx_array_new()
	p0, n0 := cInts(start)
	p1, n1 := cInts(stop)
	p2, n2 := cInts(strides)
	return finish(op, C.mlx_slice(&res, a.c, p0, n0, p1, n1, p2, n2, stream), res)
}

func padOp(a *Array, axes, low, high []int, value float64) *Array {
	const op = "Pad"
	if bad := begin(op, a); bad != nil {
		return bad
	}
	if len(low) != len(axes) || len(high) != len(axes) {
		return failf(op, "axes %v, low %v and high %v must have the same length", axes, low, high)
	}
	fill := ScalarOf(value, a.Dtype())
	if !fill.Valid() {
		return fill
	}
	res := C.mlx_array_new()
	pa, na := cInts(axes)
	pl, nl := cInts(low)
	ph, nh := cInts(high)
	mode := C.CString("constant")
	defer C.free(unsafe.Pointer(mode))
	return finish(op, C.mlx_pad(&res, a.c, pa, na, pl, nl, ph, nh, fill.c, mode, stream), res)
}
