package verify

import (
	"slices"

	"github.com/wanconv/wanconv/mapping"
)

// knownComponent reports whether name is a Wan2.2 component (dit, t5, vae);
// they are verified in mapping.Components order.
func knownComponent(name mapping.Component) bool {
	return slices.Contains(mapping.Components, name)
}
