//go:build mlx

package mlx

// This file holds the cgo side of quantization (mlx_quantize and friends).

/*
#include <stdlib.h>
#include <mlx/c/mlx.h>
*/
import "C"

import (
	"fmt"
	"unsafe"
)

const quantMode = "affine"

// optInt passes v to mlx-c, absent (MLX's default) when 0.
func optInt(v int) C.mlx_optional_int {
	return C.mlx_optional_int{value: C.int(v), has_value: C.bool(v != 0)}
}

// quantArgs rejects negative settings before MLX sees them.
func quantArgs(op string, groupSize, bits int) *Array {
	if groupSize < 0 || bits < 0 {
		return failf(op, "group size %d and bits %d must not be negative (0: MLX default)", groupSize, bits)
	}
	return nil
}

func quantizeOp(w *Array, groupSize, bits int) []*Array {
	const op = "Quantize"
	if bad := begin(op, w); bad != nil {
		return pieces(3, bad)
	}
	if bad := quantArgs(op, groupSize, bits); bad != nil {
		return pieces(3, bad)
	}
	mode := C.CString(quantMode)
	defer C.free(unsafe.Pointer(mode))
	res := C.mlx_vector_array_new()
	defer release("vector", func() C.int { return C.mlx_vector_array_free(res) }) // res is rewritten by the call
	clearError()
	rc := C.mlx_quantize(&res, w.c, optInt(groupSize), optInt(bits), mode, C.mlx_array_new(), stream)
	if rc != 0 {
		return pieces(3, invalid(fmt.Errorf("mlx: %s: %s", op, takeError(rc))))
	}
	return fromVector(op, res, 3)
}

func dequantizeOp(wq, scales, biases *Array, groupSize, bits int) *Array {
	const op = "Dequantize"
	if bad := begin(op, wq, scales, biases); bad != nil {
		return bad
	}
	if bad := quantArgs(op, groupSize, bits); bad != nil {
		return bad
	}
	mode := C.CString(quantMode)
	defer C.free(unsafe.Pointer(mode))
	return run(op, func(res *C.mlx_array) C.int {
		return C.mlx_dequantize(res, wq.c, scales.c, biases.c, optInt(groupSize), optInt(bits), mode,
			C.mlx_array_new(), C.mlx_optional_dtype{}, stream)
	})
}

func quantizedMatmulOp(x, wq, scales, biases *Array, transpose bool, groupSize, bits int) *Array {
	const op = "QuantizedMatmul"
	if bad := begin(op, x, wq, scales, biases); bad != nil {
		return bad
	}
	if bad := quantArgs(op, groupSize, bits); bad != nil {
		return bad
	}
	mode := C.CString(quantMode)
	defer C.free(unsafe.Pointer(mode))
	return run(op, func(res *C.mlx_array) C.int {
		return C.mlx_quantized_matmul(res, x.c, wq.c, scales.c, biases.c, C.bool(transpose),
			optInt(groupSize), optInt(bits), mode, stream)
	})
}
