package verify

import (
	"slices"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// knownComponent reports whether name is a Wan2.2 component (dit, t5, vae);
// they are verified in mapping.Components order.
func knownComponent(name mapping.Component) bool {
	return slices.Contains(mapping.Components, name)
}

// unit is what one ComponentReport verifies: a component and, for the DiT
// of an A14B checkpoint, one of its experts (verified one after the other,
// high noise first).
type unit struct {
	component mapping.Component
	expert    layout.Expert // "" for a single model, the T5 and the VAE
}

func unitOf(c mapping.Component) unit { return unit{component: c} }

// String names the unit in messages: "dit", "t5", "vae" or
// "dit high_noise_model".
func (u unit) String() string {
	if u.expert == "" {
		return string(u.component)
	}
	return string(u.component) + " " + string(u.expert)
}
