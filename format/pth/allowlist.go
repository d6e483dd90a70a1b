package pth

import (
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// globalKind says what an allow-listed global is.
type globalKind int

const (
	kindOrderedDict globalKind = iota + 1
	kindRebuildTensor
	kindRebuildTensorV2
	kindRebuildParameter
	kindRebuildParameterWithState
	kindStorageClass
)

// pyGlobal is an allow-listed global named by a pickle.
type pyGlobal struct {
	Module, Name string
	kind         globalKind
	dtype        tensor.DType // for storage classes
}

func (g *pyGlobal) String() string { return g.Module + "." + g.Name }

// storageClasses maps torch's typed storage class names to element types.
var storageClasses = map[string]tensor.DType{
	"DoubleStorage":   tensor.F64,
	"FloatStorage":    tensor.F32,
	"HalfStorage":     tensor.F16,
	"BFloat16Storage": tensor.BF16,
	"LongStorage":     tensor.I64,
	"IntStorage":      tensor.I32,
	"ShortStorage":    tensor.I16,
	"CharStorage":     tensor.I8,
	"ByteStorage":     tensor.U8,
	"BoolStorage":     tensor.Bool,
}

// allowedFunctions are the only callables a pickle may name.
var allowedFunctions = map[string]globalKind{
	"collections.OrderedDict":                    kindOrderedDict,
	"torch._utils._rebuild_tensor":               kindRebuildTensor,
	"torch._utils._rebuild_tensor_v2":            kindRebuildTensorV2,
	"torch._utils._rebuild_parameter":            kindRebuildParameter,
	"torch._utils._rebuild_parameter_with_state": kindRebuildParameterWithState,
}

// lookupGlobal resolves module.name against the allow-list; anything else
// is refused, naming the global.
func lookupGlobal(module, name string) (*pyGlobal, error) {
	full := module + "." + name
	if k, ok := allowedFunctions[full]; ok {
		return &pyGlobal{Module: module, Name: name, kind: k}, nil
	}
	if module == "torch" {
		if dt, ok := storageClasses[name]; ok {
			return &pyGlobal{Module: module, Name: name, kind: kindStorageClass, dtype: dt}, nil
		}
	}
	return nil, errorf(ErrNotAllowed, "refusing global %q: not on the allow-list of a PyTorch state dict", full)
}

// maxRank is the most dimensions a tensor may have (torch allows 64).
const maxRank = 64

// storageRef is a storage named by a persistent id: numel elements of
// dtype, starting elemOffset elements into the file's storage key.
type storageRef struct {
	key        string
	dtype      tensor.DType
	numel      int64
	elemOffset int64
}

// tensorRef is a tensor rebuilt by _rebuild_tensor(_v2): a view into a
// storage. Offset and strides are in elements.
type tensorRef struct {
	storage *storageRef
	offset  int64
	shape   []int64
	stride  []int64
	bad     error // malformed rebuild arguments, reported with the tensor's name
}

// call applies an allow-listed callable. newObj is true for NEWOBJ
// (cls.__new__(cls, *args)), which only classes accept.
func (g *pyGlobal) call(newObj bool, args pyTuple) (any, error) {
	switch g.kind {
	case kindOrderedDict:
		if len(args) != 0 {
			return nil, errorf(ErrPickle, "%s called with %d arguments", g, len(args))
		}
		return newDict(), nil
	case kindStorageClass:
		return nil, errorf(ErrNotAllowed, "%s cannot be instantiated from a pickle", g)
	}
	if newObj {
		return nil, errorf(ErrNotAllowed, "%s is not a class", g)
	}
	switch g.kind {
	case kindRebuildTensor, kindRebuildTensorV2:
		return rebuildTensor(g, args)
	case kindRebuildParameter, kindRebuildParameterWithState:
		want := 3
		if g.kind == kindRebuildParameterWithState {
			want = 4
		}
		if len(args) != want {
			return nil, errorf(ErrPickle, "%s called with %d arguments, want %d", g, len(args), want)
		}
		t, ok := args[0].(*tensorRef)
		if !ok {
			return nil, errorf(ErrPickle, "%s called on a %s, not a tensor", g, typeName(args[0]))
		}
		return t, nil
	}
	return nil, errorf(ErrNotAllowed, "%s is not callable", g)
}

// rebuildTensor checks the arguments of
// _rebuild_tensor(storage, offset, size, stride) and
// _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]).
func rebuildTensor(g *pyGlobal, args pyTuple) (any, error) {
	lo, hi := 4, 4
	if g.kind == kindRebuildTensorV2 {
		lo, hi = 6, 7
	}
	if len(args) < lo || len(args) > hi {
		return nil, errorf(ErrPickle, "%s called with %d arguments", g, len(args))
	}
	st, ok := args[0].(*storageRef)
	if !ok {
		return nil, errorf(ErrPickle, "%s: first argument is a %s, not a storage", g, typeName(args[0]))
	}
	// Argument errors are kept in the tensor and reported once its name
	// in the state dict is known.
	bad := func(format string, a ...any) (any, error) {
		return &tensorRef{storage: st, bad: errorf(ErrGeometry, format, a...)}, nil
	}
	off, ok := args[1].(int64)
	if !ok || off < 0 {
		return bad("%s: bad storage offset (%s)", g, describeInt(args[1]))
	}
	shape, err := intTuple(args[2])
	if err != nil {
		return bad("%s: size: %w", g, err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return bad("%s: stride: %w", g, err)
	}
	if len(shape) > maxRank {
		return bad("%s: %d dimensions, at most %d supported", g, len(shape), maxRank)
	}
	if len(shape) != len(stride) {
		return bad("%s: size has %d dims but stride has %d", g, len(shape), len(stride))
	}
	return &tensorRef{storage: st, offset: off, shape: shape, stride: stride}, nil
}

// describeInt names a value that should have been a non-negative int.
func describeInt(v any) string {
	if n, ok := v.(int64); ok {
		return fmt.Sprintf("negative: %d", n)
	}
	return "a " + typeName(v)
}

// intTuple converts a tuple of non-negative ints.
func intTuple(v any) ([]int64, error) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, fmt.Errorf("a %s, not a tuple", typeName(v))
	}
	out := make([]int64, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok || n < 0 {
			return nil, fmt.Errorf("element %d is not a non-negative int (%s)", i, describeInt(x))
		}
		out[i] = n
	}
	return out, nil
}
