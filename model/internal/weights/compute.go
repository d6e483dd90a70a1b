package weights

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wanconv/wanconv/tensor"
)

// ComputeDType resolves a model's Options.ComputeDType, the one numerics
// option the three models share: the zero value (tensor.Invalid) means
// float32, and any other value must be float32 or one of supported. The
// error names the model and the dtypes it accepts.
func ComputeDType(model string, dt tensor.DType, supported ...tensor.DType) (tensor.DType, error) {
	if dt == tensor.Invalid {
		return tensor.F32, nil
	}
	if dt == tensor.F32 || slices.Contains(supported, dt) {
		return dt, nil
	}
	names := []string{tensor.F32.Name()}
	for _, s := range supported {
		names = append(names, s.Name())
	}
	return tensor.Invalid, fmt.Errorf("%s: compute dtype %s is not supported (want %s)", model, dt.Name(), strings.Join(names, " or "))
}
