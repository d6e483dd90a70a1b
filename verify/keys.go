package verify

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
