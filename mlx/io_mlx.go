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
	defer func() { C.mlx_map_string_to_array_free(arrays) }() // both maps are rewritten by the load
	meta := C.mlx_map_string_to_string_new()
	defer func() { C.mlx_map_string_to_string_free(meta) }()
	if C.mlx_load_safetensors(&arrays, &meta, cpath, cpuStream) != 0 {
		return nil, nil, fmt.Errorf("mlx: %s: %s", op, takeError())
	}

	out := map[string]*Array{}
	it := C.mlx_map_string_to_array_iterator_new(arrays)
	defer C.mlx_map_string_to_array_iterator_free(it)
	for {
		var key *C.char
		value := C.mlx_array_new()
		if C.mlx_map_string_to_array_iterator_next(&key, &value, it) != 0 {
			if value.ctx != nil {
				C.mlx_array_free(value)
			}
			break
		}
		out[C.GoString(key)] = track(value)
	}

	metadata := map[string]string{}
	mit := C.mlx_map_string_to_string_iterator_new(meta)
	defer C.mlx_map_string_to_string_iterator_free(mit)
	for {
		var key, value *C.char
		if C.mlx_map_string_to_string_iterator_next(&key, &value, mit) != 0 {
			break
		}
		metadata[C.GoString(key)] = C.GoString(value)
	}
	return out, metadata, nil
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

	params := C.mlx_map_string_to_array_new()
	defer C.mlx_map_string_to_array_free(params)
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
	metadata := C.mlx_map_string_to_string_new()
	defer C.mlx_map_string_to_string_free(metadata)
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
	if C.mlx_save_safetensors(cpath, params, metadata) != 0 {
		return fmt.Errorf("mlx: %s: %s", op, takeError())
	}
	return nil
}

// putString calls insert with key as a C string.
func putString(key string, insert func(*C.char) C.int) error {
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	if insert(ck) != 0 {
		return fmt.Errorf("%s", takeError())
	}
	return nil
}
