//go:build mlx

package mlx

/*
#include <stdlib.h>
#include <mlx/c/mlx.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// stream is the stream ops run on (the default stream of the default
// device); cpuStream is used for file loading. Worker-only.
var stream, cpuStream C.mlx_stream

func unaryOp(op string, k unaryKind, a *Array) *Array {
	if bad := begin(op, a); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	var rc C.int
	switch k {
	case opAbs:
		rc = C.mlx_abs(&res, a.c, stream)
	case opCos:
		rc = C.mlx_cos(&res, a.c, stream)
	case opErf:
		rc = C.mlx_erf(&res, a.c, stream)
	case opExp:
		rc = C.mlx_exp(&res, a.c, stream)
	case opFloor:
		rc = C.mlx_floor(&res, a.c, stream)
	case opIsInf:
		rc = C.mlx_isinf(&res, a.c, stream)
	case opIsNaN:
		rc = C.mlx_isnan(&res, a.c, stream)
	case opLog:
		rc = C.mlx_log(&res, a.c, stream)
	case opLogicalNot:
		rc = C.mlx_logical_not(&res, a.c, stream)
	case opNeg:
		rc = C.mlx_negative(&res, a.c, stream)
	case opRsqrt:
		rc = C.mlx_rsqrt(&res, a.c, stream)
	case opSigmoid:
		rc = C.mlx_sigmoid(&res, a.c, stream)
	case opSin:
		rc = C.mlx_sin(&res, a.c, stream)
	case opSqrt:
		rc = C.mlx_sqrt(&res, a.c, stream)
	case opSquare:
		rc = C.mlx_square(&res, a.c, stream)
	case opTanh:
		rc = C.mlx_tanh(&res, a.c, stream)
	default:
		return failf(op, "unknown unary kind %d", k)
	}
	return finish(op, rc, res)
}

func binaryOp(op string, k binaryKind, a, b *Array) *Array {
	if bad := begin(op, a, b); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	var rc C.int
	switch k {
	case opAdd:
		rc = C.mlx_add(&res, a.c, b.c, stream)
	case opSub:
		rc = C.mlx_subtract(&res, a.c, b.c, stream)
	case opMul:
		rc = C.mlx_multiply(&res, a.c, b.c, stream)
	case opDiv:
		rc = C.mlx_divide(&res, a.c, b.c, stream)
	case opMaximum:
		rc = C.mlx_maximum(&res, a.c, b.c, stream)
	case opMinimum:
		rc = C.mlx_minimum(&res, a.c, b.c, stream)
	case opPower:
		rc = C.mlx_power(&res, a.c, b.c, stream)
	case opEqual:
		rc = C.mlx_equal(&res, a.c, b.c, stream)
	case opLess:
		rc = C.mlx_less(&res, a.c, b.c, stream)
	case opLessEqual:
		rc = C.mlx_less_equal(&res, a.c, b.c, stream)
	case opGreater:
		rc = C.mlx_greater(&res, a.c, b.c, stream)
	case opGreaterEqual:
		rc = C.mlx_greater_equal(&res, a.c, b.c, stream)
	case opMatmul:
		rc = C.mlx_matmul(&res, a.c, b.c, stream)
	default:
		return failf(op, "unknown binary kind %d", k)
	}
	return finish(op, rc, res)
}

func whereOp(cond, x, y *Array) *Array {
	const op = "Where"
	if bad := begin(op, cond, x, y); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	return finish(op, C.mlx_where(&res, cond.c, x.c, y.c, stream), res)
}

func addmmOp(c, a, b *Array, alpha, beta float32) *Array {
	const op = "Addmm"
	if bad := begin(op, c, a, b); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	return finish(op, C.mlx_addmm(&res, c.c, a.c, b.c, C.float(alpha), C.float(beta), stream), res)
}

func reduceOp(op string, k reduceKind, a *Array, keep bool, ddof int, axes []int) *Array {
	if bad := begin(op, a); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	ax, n := cInts(axes)
	kd := C.bool(keep)
	all := len(axes) == 0
	var rc C.int
	switch {
	case k == opSum && all:
		rc = C.mlx_sum(&res, a.c, kd, stream)
	case k == opSum:
		rc = C.mlx_sum_axes(&res, a.c, ax, n, kd, stream)
	case k == opMean && all:
		rc = C.mlx_mean(&res, a.c, kd, stream)
	case k == opMean:
		rc = C.mlx_mean_axes(&res, a.c, ax, n, kd, stream)
	case k == opMax && all:
		rc = C.mlx_max(&res, a.c, kd, stream)
	case k == opMax:
		rc = C.mlx_max_axes(&res, a.c, ax, n, kd, stream)
	case k == opMin && all:
		rc = C.mlx_min(&res, a.c, kd, stream)
	case k == opMin:
		rc = C.mlx_min_axes(&res, a.c, ax, n, kd, stream)
	case k == opVar && all:
		rc = C.mlx_var(&res, a.c, kd, C.int(ddof), stream)
	case k == opVar:
		rc = C.mlx_var_axes(&res, a.c, ax, n, kd, C.int(ddof), stream)
	default:
		return failf(op, "unknown reduction kind %d", k)
	}
	return finish(op, rc, res)
}

func argmaxOp(a *Array, axis int, keep bool) *Array {
	const op = "Argmax"
	if bad := begin(op, a); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	return finish(op, C.mlx_argmax_axis(&res, a.c, C.int(axis), C.bool(keep), stream), res)
}

func softmaxOp(a *Array, precise bool, axes []int) *Array {
	const op = "Softmax"
	if bad := begin(op, a); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	if len(axes) == 0 {
		return finish(op, C.mlx_softmax(&res, a.c, C.bool(precise), stream), res)
	}
	ax, n := cInts(axes)
	return finish(op, C.mlx_softmax_axes(&res, a.c, ax, n, C.bool(precise), stream), res)
}

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
	defer C.mlx_vector_array_free(v)
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
	pieces := func(bad *Array) []*Array {
		out := make([]*Array, max(parts, len(indices)+1))
		for i := range out {
			out[i] = bad
		}
		return out
	}
	if bad := begin(op, a); bad != nil {
		return pieces(bad)
	}
	res := C.mlx_vector_array_new()
	defer func() { C.mlx_vector_array_free(res) }() // res is rewritten by the call
	var rc C.int
	switch {
	case parts > 0:
		rc = C.mlx_split(&res, a.c, C.int(parts), C.int(axis), stream)
	case parts == 0 && len(indices) > 0:
		p, n := cInts(indices)
		rc = C.mlx_split_sections(&res, a.c, p, n, C.int(axis), stream)
	default:
		return pieces(failf(op, "need parts > 0 or split indices (got parts=%d)", parts))
	}
	if rc != 0 {
		return pieces(invalid(fmt.Errorf("mlx: %s: %s", op, takeError())))
	}
	return fromVector(op, res)
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

func convOp(op string, x, w *Array, p convParams) *Array {
	if bad := begin(op, x, w); bad != nil {
		return bad
	}
	spatial := x.Ndim() - 2
	if spatial < 1 {
		return failf(op, "input shape %v has no spatial axes (want N,...,C)", x.Shape())
	}
	groups := p.groups
	if groups == 0 {
		groups = 1
	}
	stride := filled(p.stride, spatial, 1)
	lo := filled(p.padLo, spatial, 0)
	hi := filled(p.padHi, spatial, 0)
	kd := filled(p.kernelDil, spatial, 1)
	id := filled(p.inputDil, spatial, 1)
	for _, v := range [][]int{stride, lo, hi, kd, id} {
		if len(v) != spatial {
			return failf(op, "stride/padding/dilation %v need %d entries for input shape %v", v, spatial, x.Shape())
		}
	}
	ps, ns := cInts(stride)
	pl, nl := cInts(lo)
	ph, nh := cInts(hi)
	pk, nk := cInts(kd)
	pi, ni := cInts(id)
	res := C.mlx_array_new()
	rc := C.mlx_conv_general(&res, x.c, w.c, ps, ns, pl, nl, ph, nh, pk, nk, pi, ni,
		C.int(groups), C.bool(p.flip), stream)
	return finish(op, rc, res)
}

// optional returns the handle of a, or an empty handle for nil.
func optional(a *Array) C.mlx_array {
	if a == nil {
		return C.mlx_array_new()
	}
	return a.c
}

// present returns the non-nil arrays among arrs (optional inputs).
func present(arrs ...*Array) []*Array {
	out := arrs[:0:0]
	for _, a := range arrs {
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}

func sdpaOp(q, k, v *Array, scale float32, mask *Array) *Array {
	const op = "SDPA"
	if bad := begin(op, present(q, k, v, mask)...); bad != nil {
		return bad
	}
	if q == nil || k == nil || v == nil {
		return failf(op, "q, k and v are required")
	}
	mode := C.CString("")
	if mask != nil {
		C.free(unsafe.Pointer(mode))
		mode = C.CString("array")
	}
	defer C.free(unsafe.Pointer(mode))
	res := C.mlx_array_new()
	rc := C.mlx_fast_scaled_dot_product_attention(&res, q.c, k.c, v.c, C.float(scale), mode,
		optional(mask), C.mlx_array_new(), stream)
	return finish(op, rc, res)
}

func rmsNormOp(x, w *Array, eps float32) *Array {
	const op = "RMSNorm"
	if x == nil {
		return begin(op, x)
	}
	if bad := begin(op, present(x, w)...); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	return finish(op, C.mlx_fast_rms_norm(&res, x.c, optional(w), C.float(eps), stream), res)
}

func layerNormOp(x, w, b *Array, eps float32) *Array {
	const op = "LayerNorm"
	if x == nil {
		return begin(op, x)
	}
	if bad := begin(op, present(x, w, b)...); bad != nil {
		return bad
	}
	res := C.mlx_array_new()
	rc := C.mlx_fast_layer_norm(&res, x.c, optional(w), optional(b), C.float(eps), stream)
	return finish(op, rc, res)
}

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
		return invalid(fmt.Errorf("mlx: %s: %s", op, takeError()))
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
	fail := func() ([]byte, error) {
		err := fmt.Errorf("mlx: %s: %s", op, takeError())
		record(err)
		return nil, err
	}
	src := a.c
	if fromCDtype(C.mlx_array_dtype(src)) != dt {
		conv := C.mlx_array_new()
		defer func() { C.mlx_array_free(conv) }() // conv is set by mlx_astype
		if C.mlx_astype(&conv, src, cDtype(dt), stream) != 0 {
			return fail()
		}
		src = conv
	}
	dense := C.mlx_array_new()
	defer func() { C.mlx_array_free(dense) }() // dense is set by mlx_contiguous
	if C.mlx_contiguous(&dense, src, false, stream) != 0 || C.mlx_array_eval(dense) != 0 {
		return fail()
	}
	n := int(C.mlx_array_nbytes(dense))
	out := make([]byte, n)
	if n == 0 {
		return out, nil
	}
	ptr := C.mlx_array_data_uint8(dense)
	if ptr == nil {
		return fail()
	}
	copy(out, unsafe.Slice((*byte)(unsafe.Pointer(ptr)), n))
	return out, nil
}
