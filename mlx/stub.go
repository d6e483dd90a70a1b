//go:build !mlx

package mlx

// This file is the build without MLX: every operation yields an invalid
// array and Do reports ErrUnavailable.

// Array is a handle to an MLX array; without MLX every Array is invalid.
type Array struct{}

// Available reports whether the package was built with MLX.
func Available() bool { return false }

// Do returns ErrUnavailable without calling f.
func Do(f func() error) error { return ErrUnavailable }

// Err returns nil.
func Err() error { return nil }

// Eval returns ErrUnavailable.
func Eval(arrs ...*Array) error { return ErrUnavailable }

// Keep does nothing.
func Keep(arrs ...*Array) {}

// Scoped calls f.
func Scoped(f func() []*Array) []*Array {
	if f == nil {
		return nil
	}
	return f()
}

// SetDefaultDevice returns ErrUnavailable.
func SetDefaultDevice(d Device) error { return ErrUnavailable }

// GPUAvailable returns false.
func GPUAvailable() bool { return false }

// LoadSafetensors returns ErrUnavailable.
func LoadSafetensors(path string) (map[string]*Array, map[string]string, error) {
	return nil, nil, ErrUnavailable
}

// SaveSafetensors returns ErrUnavailable.
func SaveSafetensors(path string, arrays map[string]*Array, meta map[string]string) error {
	return ErrUnavailable
}

// ActiveMemory returns 0.
func ActiveMemory() int64 { return 0 }

// PeakMemory returns 0.
func PeakMemory() int64 { return 0 }

// CacheMemory returns 0.
func CacheMemory() int64 { return 0 }

// ResetPeakMemory returns ErrUnavailable.
func ResetPeakMemory() error { return ErrUnavailable }

// ClearCache returns ErrUnavailable.
func ClearCache() error { return ErrUnavailable }

// LiveArrays returns 0.
func LiveArrays() int64 { return 0 }

// Valid returns false.
func (a *Array) Valid() bool { return false }

// Free does nothing.
func (a *Array) Free() {}

// Shape returns nil.
func (a *Array) Shape() []int { return nil }

// Ndim returns 0.
func (a *Array) Ndim() int { return 0 }

// Dim returns 0.
func (a *Array) Dim(i int) int { return 0 }

// Size returns 0.
func (a *Array) Size() int { return 0 }

// Dtype returns InvalidDtype.
func (a *Array) Dtype() Dtype { return InvalidDtype }

// String returns "Array(invalid)".
func (a *Array) String() string { return "Array(invalid)" }

// The primitives below back the shared operation wrappers.

func none() *Array { return &Array{} }

func failf(op, format string, args ...any) *Array                    { return none() }
func unaryOp(op string, k unaryKind, a *Array) *Array                { return none() }
func binaryOp(op string, k binaryKind, a, b *Array) *Array           { return none() }
func whereOp(cond, x, y *Array) *Array                               { return none() }
func addmmOp(c, a, b *Array, alpha, beta float32) *Array             { return none() }
func argmaxOp(a *Array, axis int, keep bool) *Array                  { return none() }
func softmaxOp(a *Array, precise bool, axes []int) *Array            { return none() }
func intsOp(op string, k intsKind, a *Array, v []int) *Array         { return none() }
func flattenOp(a *Array, start, end int) *Array                      { return none() }
func repeatOp(a *Array, repeats, axis int) *Array                    { return none() }
func takeOp(a, indices *Array, axis int) *Array                      { return none() }
func astypeOp(a *Array, dt Dtype) *Array                             { return none() }
func joinOp(op string, stack bool, axis int, arrs []*Array) *Array   { return none() }
func sliceOp(op string, a *Array, start, stop, strides []int) *Array { return none() }
func padOp(a *Array, axes, low, high []int, value float64) *Array    { return none() }
func convOp(op string, x, w *Array, p convParams) *Array             { return none() }
func sdpaOp(q, k, v *Array, scale float32, mask *Array) *Array       { return none() }
func rmsNormOp(x, w *Array, eps float32) *Array                      { return none() }
func layerNormOp(x, w, b *Array, eps float32) *Array                 { return none() }
func fromBytesOp(op string, data []byte, dt Dtype, shape []int) *Array {
	return none()
}
func fillOp(op string, v float64, dt Dtype, shape []int) *Array { return none() }
func arangeOp(start, stop, step float64, dt Dtype) *Array       { return none() }

func reduceOp(op string, k reduceKind, a *Array, keep bool, ddof int, axes []int) *Array {
	return none()
}

func quantizeOp(w *Array, groupSize, bits int) []*Array {
	return []*Array{none(), none(), none()}
}

func dequantizeOp(wq, scales, biases *Array, groupSize, bits int) *Array { return none() }

func quantizedMatmulOp(x, wq, scales, biases *Array, transpose bool, groupSize, bits int) *Array {
	return none()
}

func splitOp(op string, a *Array, parts int, indices []int, axis int) []*Array {
	out := make([]*Array, max(parts, len(indices)+1))
	for i := range out {
		out[i] = none()
	}
	return out
}

func readAs(op string, a *Array, dt Dtype) ([]byte, error) { return nil, ErrUnavailable }
