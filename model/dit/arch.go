package dit

import (
	"errors"
	"fmt"
	"slices"

	"github.com/wanconv/wanconv/mapping"
)

// Model types this package runs. "i2v" takes the conditioning y
// (ForwardY); "s2v" needs audio inputs Forward does not take and is refused.
const (
	ModelTypeT2V  = "t2v"
	ModelTypeI2V  = "i2v"
	ModelTypeTI2V = "ti2v"
)

// resolveArch returns the model's own copy of a: the fields config.json did
// not state take upstream's defaults (mapping's WithDefaults), the result is
// validated by mapping, and what this package cannot run is refused:
// model types other than t2v, i2v and ti2v, and windowed attention.
func resolveArch(a *mapping.DiTArch) (*mapping.DiTArch, error) {
	if a == nil {
		return nil, errors.New("dit: no architecture")
	}
	c := a.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err // a *mapping.PlanError, which names the component
	}
	if c.ModelType != ModelTypeT2V && c.ModelType != ModelTypeI2V && c.ModelType != ModelTypeTI2V {
		return nil, fmt.Errorf("dit: model_type %q is not supported (want %q, %q or %q)", c.ModelType, ModelTypeT2V, ModelTypeI2V, ModelTypeTI2V)
	}
	if c.ModelType == ModelTypeI2V && c.InDim <= c.OutDim {
		return nil, fmt.Errorf("dit: an i2v model takes the noise (out_dim %d channels) and the conditioning y, so in_dim %d must be larger", c.OutDim, c.InDim)
	}
	if !slices.Equal(c.WindowSize, []int{-1, -1}) {
		return nil, fmt.Errorf("dit: window_size %v is not supported (only global attention, [-1, -1])", c.WindowSize)
	}
	return c, nil
}
