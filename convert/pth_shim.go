package convert

import (
	"fmt"

	"github.com/wanconv/wanconv/convert/tensor"
)

// pthOpenShim is temporary until convert/pth exports Open.
func pthOpenShim(path string) (tensor.Source, error) {
	return nil, fmt.Errorf("%s: .pth reader not available yet", path)
}
