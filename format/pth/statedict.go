package pth

import (
	"math/big"
)

// maxDescend bounds how many wrapper dicts ({"state_dict": {...}}) are
// looked through to find the tensors.
const maxDescend = 4

// namedTensor is one tensor found in the state dict.
type namedTensor struct {
	name string
	ref  *tensorRef
}

// stateDictTensors finds the dict of tensors in the unpickled object (see the
// package documentation for the rules) and returns its tensors in order.
func stateDictTensors(obj any) ([]namedTensor, error) {
	for depth := 0; ; depth++ {
		d, ok := obj.(*pyDict)
		if !ok {
			return nil, errorf(ErrNotStateDict, "checkpoint holds a %s, not a dict of tensors", typeName(obj))
		}
		inner, descend := wrappedDict(d)
		if descend && depth < maxDescend {
			obj = inner
			continue
		}
		return tensorsOf(d)
	}
}

// wrappedDict reports whether d holds no tensor and exactly one dict (the
// real state dict), next to scalar metadata at most.
func wrappedDict(d *pyDict) (*pyDict, bool) {
	var inner *pyDict
	for _, e := range d.entries {
		switch v := e.value.(type) {
		case *tensorRef:
			return nil, false
		case *pyDict:
			if inner != nil {
				return nil, false
			}
			inner = v
		}
	}
	return inner, inner != nil
}

func tensorsOf(d *pyDict) ([]namedTensor, error) {
	var out []namedTensor
	for _, e := range d.entries {
		name, ok := e.key.(string)
		if !ok {
			return nil, errorf(ErrNotStateDict, "state dict key of type %s is not a string", typeName(e.key))
		}
		switch v := e.value.(type) {
		case *tensorRef:
			if v.bad != nil {
				return nil, inTensor(name, v.bad, ErrGeometry)
			}
			out = append(out, namedTensor{name, v})
		case nil, bool, int64, *big.Int, float64, string, []byte:
			// scalar metadata: ignored
		default:
			return nil, errorf(ErrNotStateDict, "state dict entry %q is a %s, not a tensor", name, typeName(v))
		}
	}
	return out, nil
}
