//go:build mlx

package mlx

/*
#include <stdlib.h>
#include <mlx/c/mlx.h>
*/
import "C"

import (
	"fmt"
	"sort"
	"strings"
	"unsafe"
)

// LoadSafetensors opens a safetensors file and returns its arrays (lazy: the
// data is read when they are evaluated, so the file must stay in place) and
// its metadata. The arrays belong to the current scope. Call inside Do.
func LoadSafetensors(path string) (map[string]*Array, map[string]string, error) {
	op := "LoadSafetensors " + path
	if bad := begin(op); bad != nil {
		return nil, nil, bad.err
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	arrays := C.mlx_map_string_to_array_new()
	defer release("map", func() C.int { return C.mlx_map_string_to_array_free(arrays) }) // both maps are rewritten by the load
	meta := C.mlx_map_string_to_string_new()
	defer release("map", func() C.int { return C.mlx_map_string_to_string_free(meta) })
	if err := check(op, func() C.int { return C.mlx_load_safetensors(&arrays, &meta, cpath, cpuStream) }); err != nil {
		return nil, nil, err
	}

	clearError()
	it := C.mlx_map_string_to_array_iterator_new(arrays)
	if it.ctx == nil {
		return nil, nil, fmt.Errorf("mlx: %s: %s", op, takeError(1))
	}
	defer release("iterator", func() C.int { return C.mlx_map_string_to_array_iterator_free(it) })
	out, err := drainArrays(op, func(key **C.char, value *C.mlx_array) C.int {
		return C.mlx_map_string_to_array_iterator_next(key, value, it)
	})
	if err != nil {
		return nil, nil, err
	}
	clearError()
	mit := C.mlx_map_string_to_string_iterator_new(meta)
	if mit.ctx == nil {
		for _, a := range out {
			a.free()
		}
		return nil, nil, fmt.Errorf("mlx: %s: %s", op, takeError(1))
	}
	defer release("iterator", func() C.int { return C.mlx_map_string_to_string_iterator_free(mit) })
	metadata, err := drainStrings(op+" (metadata)", func(key, value **C.char) C.int {
		return C.mlx_map_string_to_string_iterator_next(key, value, mit)
	})
	if err != nil {
		for _, a := range out {
			a.free()
		}
		return nil, nil, err
	}
	return out, metadata, nil
}

// Statuses of the mlx-c map iterators: 0 gives an entry, 2 is the end, and
// anything else (1) is an error reported to the error handler.
const iterEnd = 2

// drainArrays collects the entries of a string-to-array map iterator; next
// is its mlx_map_string_to_array_iterator_next. The arrays are tracked; on
// an error those already taken are freed again.
func drainArrays(op string, next func(key **C.char, value *C.mlx_array) C.int) (map[string]*Array, error) {
	out := map[string]*Array{}
	for {
		var key *C.char
		value := C.mlx_array_new()
		clearError()
		rc := next(&key, &value)
		if rc != 0 {
			var err error
			if rc != iterEnd {
				err = fmt.Errorf("mlx: %s: reading entry %d: %s", op, len(out)+1, takeError(rc))
			}
			if value.ctx != nil {
				release("array", func() C.int { return C.mlx_array_free(value) })
			}
			if err != nil {
				for _, a := range out {
					a.free()
				}
				return nil, err
			}
			return out, nil
		}
		out[C.GoString(key)] = track(value)
	}
}

// drainStrings collects the entries of a string-to-string map iterator.
func drainStrings(op string, next func(key, value **C.char) C.int) (map[string]string, error) {
	out := map[string]string{}
	for {
		var key, value *C.char
		clearError()
		switch rc := next(&key, &value); rc {
		case 0:
			out[C.GoString(key)] = C.GoString(value)
		case iterEnd:
			return out, nil
		default:
			return nil, fmt.Errorf("mlx: %s: reading entry %d: %s", op, len(out)+1, takeError(rc))
		}
	}
}

// SaveSafetensors evaluates the arrays and writes them with the metadata to
// path, which must end in ".safetensors" (MLX would otherwise append it).
// Call inside Do.
func SaveSafetensors(path string, arrays map[string]*Array, meta map[string]string) error {
	op := "SaveSafetensors " + path
	if bad := begin(op); bad != nil {
		return bad.err
	}
	if !strings.HasSuffix(path, ".safetensors") {
		return fmt.Errorf("mlx: %s: file name must end in .safetensors", op)
	}
	names := make([]string, 0, len(arrays))
	for name := range arrays {
		names = append(names, name)
	}
	sort.Strings(names)

	clearError()
	params := C.mlx_map_string_to_array_new()
	if params.ctx == nil {
		return fmt.Errorf("mlx: %s: %s", op, takeError(1))
	}
	defer release("map", func() C.int { return C.mlx_map_string_to_array_free(params) })
	for _, name := range names {
		a := arrays[name]
		if !a.Valid() {
			cause := "nil"
			if a != nil && a.err != nil {
				cause = a.err.Error()
			}
			return fmt.Errorf("mlx: %s: tensor %q is invalid: %s", op, name, cause)
		}
		if err := putString(name, func(k *C.char) C.int {
			return C.mlx_map_string_to_array_insert(params, k, a.c)
		}); err != nil {
			return fmt.Errorf("mlx: %s: tensor %q: %w", op, name, err)
		}
	}
	clearError()
	metadata := C.mlx_map_string_to_string_new()
	if metadata.ctx == nil {
		return fmt.Errorf("mlx: %s: %s", op, takeError(1))
	}
	defer release("map", func() C.int { return C.mlx_map_string_to_string_free(metadata) })
	for k, v := range meta {
		cv := C.CString(v)
		err := putString(k, func(ck *C.char) C.int { return C.mlx_map_string_to_string_insert(metadata, ck, cv) })
		C.free(unsafe.Pointer(cv))
		if err != nil {
			return fmt.Errorf("mlx: %s: metadata %q: %w", op, k, err)
		}
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return check(op, func() C.int { return C.mlx_save_safetensors(cpath, params, metadata) })
}

// putString calls insert with key as a C string.
func putString(key string, insert func(*C.char) C.int) error {
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	clearError()
	if rc := insert(ck); rc != 0 {
		return fmt.Errorf("%s", takeError(rc))
	}
	return nil
}
