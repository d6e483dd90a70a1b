package convert

import (
	"os"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/tensor"
)

// opener opens a release file for reading: (*safefs.Root).OpenPath, so
// that nothing outside the release and nothing but regular files is read.
type opener = func(path string) (*os.File, error)

// The checkpoint readers, as variables so tests can substitute failing ones.
var (
	openSafetensorsSource = func(open opener, path string) (tensor.Source, error) {
		return safetensors.OpenAutoWith(open, path)
	}
	openPthSource = func(open opener, path string) (tensor.Source, error) { return pth.OpenWith(open, path) }
)
