package verify

import (
	"strings"

	"github.com/wanconv/wanconv/layout"
)

// Components in the order they are verified.
var componentOrder = []string{"dit", "t5", "vae"}

func knownComponent(name string) bool {
	for _, c := range componentOrder {
		if c == name {
			return true
		}
	}
	return false
}

// A unit is what one ComponentReport verifies and one golden entry
// records: a component ("dit", "t5", "vae"), or one expert's DiT of an A14B
// checkpoint ("dit.high_noise_model", "dit.low_noise_model").

// unitName names the unit of a component and expert ("" for none).
func unitName(component string, e layout.Expert) string {
	if e == "" {
		return component
	}
	return component + "." + string(e)
}

// splitUnit is unitName's inverse.
func splitUnit(name string) (component string, e layout.Expert) {
	c, rest, ok := strings.Cut(name, ".")
	if !ok {
		return name, ""
	}
	return c, layout.Expert(rest)
}

// componentOf is the component a unit belongs to.
func componentOf(name string) string {
	c, _ := splitUnit(name)
	return c
}

// knownUnit accepts a component or "dit.<expert>".
func knownUnit(name string) bool {
	c, e := splitUnit(name)
	if e == "" {
		return knownComponent(c)
	}
	_, err := layout.ParseExpert(string(e))
	return c == "dit" && err == nil
}
