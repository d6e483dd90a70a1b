//go:build mlx

package mlx

// This file holds the cgo side of convolution and the fused kernels of mlx-c fast.h.

/*
#include <stdlib.h>
#include <mlx/c/mlx.h>
*/
import "C"

import "unsafe"

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
