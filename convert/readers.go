package convert

import (
	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/tensor"
)

// The checkpoint readers, as variables so tests can substitute failing ones.
var (
	openSafetensorsSource = func(path string) (tensor.Source, error) { return safetensors.OpenAuto(path) }
	openPthSource         = func(path string) (tensor.Source, error) { return pth.Open(path) }
)
