//go:build mlx

package mlx

// This file holds the cgo side of element-wise, matrix and reduction operations.

/*
#include <mlx/c/mlx.h>
*/
import "C"

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
