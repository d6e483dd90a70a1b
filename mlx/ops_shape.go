package mlx

// intsKind names a layout operation taking one array and a list of ints.
type intsKind int

const (
	opReshape intsKind = iota
	opTranspose
	opExpandDims
	opSqueeze
	opBroadcastTo
	opTile
)

// Reshape returns a with a new shape (one dimension may be -1).
func Reshape(a *Array, shape ...int) *Array { return intsOp("Reshape", opReshape, a, shape) }

// Transpose permutes the axes (reverses them when none are given).
func Transpose(a *Array, axes ...int) *Array { return intsOp("Transpose", opTranspose, a, axes) }

// ExpandDims inserts size-1 dimensions at axes.
func ExpandDims(a *Array, axes ...int) *Array { return intsOp("ExpandDims", opExpandDims, a, axes) }

// Squeeze removes size-1 dimensions at axes (all of them when none are given).
func Squeeze(a *Array, axes ...int) *Array { return intsOp("Squeeze", opSqueeze, a, axes) }

// BroadcastTo broadcasts a to shape.
func BroadcastTo(a *Array, shape ...int) *Array {
	return intsOp("BroadcastTo", opBroadcastTo, a, shape)
}

// Tile repeats the whole array reps[i] times along axis i.
func Tile(a *Array, reps ...int) *Array { return intsOp("Tile", opTile, a, reps) }

// Flatten merges axes start..end (inclusive; negative counts from the end).
func Flatten(a *Array, start, end int) *Array { return flattenOp(a, start, end) }

// Repeat repeats every element `repeats` times along axis.
func Repeat(a *Array, repeats, axis int) *Array { return repeatOp(a, repeats, axis) }

// Take gathers the entries of a at indices (integer array) along axis.
func Take(a, indices *Array, axis int) *Array { return takeOp(a, indices, axis) }

// AsType converts to dtype dt.
func AsType(a *Array, dt Dtype) *Array { return astypeOp(a, dt) }

// Concatenate joins arrays along an existing axis.
func Concatenate(axis int, arrs ...*Array) *Array { return joinOp("Concatenate", false, axis, arrs) }

// Stack joins arrays along a new axis.
func Stack(axis int, arrs ...*Array) *Array { return joinOp("Stack", true, axis, arrs) }

// Split cuts a into `parts` equal pieces along axis.
func Split(a *Array, parts, axis int) []*Array { return splitOp("Split", a, parts, nil, axis) }

// SplitAt cuts a along axis before each of the given indices.
func SplitAt(a *Array, indices []int, axis int) []*Array {
	return splitOp("SplitAt", a, 0, indices, axis)
}

// Slice returns a[start[i]:stop[i]] on every axis.
func Slice(a *Array, start, stop []int) *Array { return sliceOp("Slice", a, start, stop, nil) }

// SliceStrided returns a[start[i]:stop[i]:strides[i]] on every axis.
func SliceStrided(a *Array, start, stop, strides []int) *Array {
	return sliceOp("SliceStrided", a, start, stop, strides)
}

// SliceAxis returns a[start:stop] along one axis; negative axis, start and
// stop count from the end as in Python.
func SliceAxis(a *Array, axis, start, stop int) *Array {
	const op = "SliceAxis"
	if !a.Valid() {
		return sliceOp(op, a, nil, nil, nil) // reports the invalid input
	}
	shape := a.Shape()
	ax := axis
	if ax < 0 {
		ax += len(shape)
	}
	if ax < 0 || ax >= len(shape) {
		return failf(op, "axis %d out of range for shape %v", axis, shape)
	}
	lo, hi := make([]int, len(shape)), append([]int(nil), shape...)
	lo[ax], hi[ax] = clampIndex(start, shape[ax]), clampIndex(stop, shape[ax])
	if hi[ax] < lo[ax] {
		hi[ax] = lo[ax]
	}
	return sliceOp(op, a, lo, hi, nil)
}

// clampIndex resolves a Python-style index into [0, n].
func clampIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	return min(max(i, 0), n)
}

// Pad pads the listed axes with low[i] values before and high[i] after,
// filled with value (cast to a's dtype).
func Pad(a *Array, axes, low, high []int, value float64) *Array {
	return padOp(a, axes, low, high, value)
}
