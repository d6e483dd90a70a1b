//go:build mlx

package mlx

// Probes for the package's own tests (exported to them by export_mlx_test.go):
// they drive failure paths that no well-formed input reaches. Not API.

/*
#include <stdlib.h>
#include <mlx/c/mlx.h>

// A call that fails without reporting a message.
static int wanconv_fail_silently(void) { return 1; }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// probeArrayMap builds a map of n scalar arrays and drains it as
// LoadSafetensors does; after failAfter entries (never if failAfter < 0) the
// next step is a real failing mlx-c call: the iterator function on an empty
// iterator handle, which reports an error and returns status 1. Call inside
// Do.
func probeArrayMap(n, failAfter int) (map[string]*Array, error) {
	const op = "probe"
	if bad := begin(op); bad != nil {
		return nil, bad.err
	}
	m := C.mlx_map_string_to_array_new()
	defer C.mlx_map_string_to_array_free(m)
	for i := range n {
		v := C.mlx_array_new_float32(C.float(i))
		err := putString(fmt.Sprintf("k%02d", i), func(k *C.char) C.int { return C.mlx_map_string_to_array_insert(m, k, v) })
		C.mlx_array_free(v)
		if err != nil {
			return nil, err
		}
	}
	it := C.mlx_map_string_to_array_iterator_new(m)
	defer C.mlx_map_string_to_array_iterator_free(it)
	steps := 0
	return drainArrays(op, func(key **C.char, value *C.mlx_array) C.int {
		if steps == failAfter {
			return C.mlx_map_string_to_array_iterator_next(key, value, C.mlx_map_string_to_array_iterator{})
		}
		steps++
		return C.mlx_map_string_to_array_iterator_next(key, value, it)
	})
}

// probeStringMap is probeArrayMap for a string-to-string map.
func probeStringMap(n, failAfter int) (map[string]string, error) {
	const op = "probe"
	if bad := begin(op); bad != nil {
		return nil, bad.err
	}
	m := C.mlx_map_string_to_string_new()
	defer C.mlx_map_string_to_string_free(m)
	for i := range n {
		v := C.CString(fmt.Sprint(i))
		err := putString(fmt.Sprintf("k%02d", i), func(k *C.char) C.int { return C.mlx_map_string_to_string_insert(m, k, v) })
		C.free(unsafe.Pointer(v))
		if err != nil {
			return nil, err
		}
	}
	it := C.mlx_map_string_to_string_iterator_new(m)
	defer C.mlx_map_string_to_string_iterator_free(it)
	steps := 0
	return drainStrings(op, func(key, value **C.char) C.int {
		if steps == failAfter {
			return C.mlx_map_string_to_string_iterator_next(key, value, C.mlx_map_string_to_string_iterator{})
		}
		steps++
		return C.mlx_map_string_to_string_iterator_next(key, value, it)
	})
}

// probeStaleError leaves a message in the error buffer the way an ignored
// failure would (mlx_array_eval of an empty handle, status dropped), then
// makes, through check, a call that fails without reporting a message. It
// returns the stale message and check's error. Call inside Do.
func probeStaleError() (stale string, err error) {
	C.mlx_array_eval(C.mlx_array_new())
	stale = takeError(1)
	C.mlx_array_eval(C.mlx_array_new()) // again, and leave it there
	return stale, check("probe", func() C.int { return C.wanconv_fail_silently() })
}
