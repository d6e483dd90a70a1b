package t5

import (
	"errors"

	"github.com/wanconv/wanconv/mapping"
)

// resolveArch returns the model's own copy of a, validated by mapping. An
// encoder with one shared relative position table (shared_pos) is refused:
// umt5, the only encoder Wan2.2 ships, has one table per block and so does
// this package.
func resolveArch(a *mapping.T5Arch) (*mapping.T5Arch, error) {
	if a == nil {
		return nil, errors.New("t5: no architecture")
	}
	if err := a.Validate(); err != nil {
		return nil, err // a *mapping.PlanError, which names the component
	}
	if a.SharedPos {
		return nil, errors.New("t5: a shared relative position table (shared_pos=true, tensor pos_embedding.embedding.weight) is not supported; umt5 has one per block")
	}
	return a.Clone(), nil
}
