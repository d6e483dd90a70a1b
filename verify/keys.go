package verify

import "sort"

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

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
