package convert

import (
	"github.com/wanconv/wanconv/convert/pth"
	"github.com/wanconv/wanconv/convert/safetensors"
	"github.com/wanconv/wanconv/convert/tensor"
)

// The checkpoint readers, as variables so tests can substitute failing ones.
var (
	openSafetensorsSource = func(path string) (tensor.Source, error) { return safetensors.OpenAuto(path) }
	openPthSource         = func(path string) (tensor.Source, error) { return pth.Open(path) }
)
