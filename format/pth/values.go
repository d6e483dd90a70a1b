package pth

import (
	"fmt"
	"math/big"
)

// Values produced by the unpickler. Python ints become int64 (or *big.Int
// when wider), floats float64, str string, bytes []byte, None nil.
type (
	pyTuple []any
	pyList  struct{ items []any }
	pyDict  struct {
		entries []dictEntry
		index   map[any]int
	}
	dictEntry struct{ key, value any }
)

func newDict() *pyDict { return &pyDict{index: map[any]int{}} }

// set inserts or replaces key. Only scalar keys are supported.
func (d *pyDict) set(key, value any) error {
	switch key.(type) {
	case string, int64, bool, float64, nil:
	default:
		return errorf(ErrUnsupported, "dict key of type %s is not supported", typeName(key))
	}
	if i, ok := d.index[key]; ok {
		d.entries[i].value = value
		return nil
	}
	d.index[key] = len(d.entries)
	d.entries = append(d.entries, dictEntry{key, value})
	return nil
}

// typeName describes a value for error messages without printing it.
func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case pyTuple:
		return "tuple"
	case *pyList:
		return "list"
	case *pyDict:
		return "dict"
	case *pyGlobal:
		return v.String()
	case *tensorRef:
		return "tensor"
	case *storageRef:
		return "storage"
	default:
		return fmt.Sprintf("%T", v)
	}
}
