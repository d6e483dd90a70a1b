package mapping

import (
	"encoding/json"
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// DefaultPatchSize is the DiT patch (kernel) size of every Wan2.2 release and
// what mlx-video assumes when its config.json has no patch_size.
var DefaultPatchSize = []int{1, 2, 2}

func flattenPatchShape(in []int64) ([]int64, error) {
	if len(in) != 5 || !positive(in) {
		return nil, fmt.Errorf("%s needs a positive Conv3d weight (O, I, kT, kH, kW), got %s", FlattenPatch, tensor.ShapeString(in))
	}
	return []int64{in[0], in[1] * in[2] * in[3] * in[4]}, nil
}

// InShapeKernel is InShape for a transform whose inverse needs the
// convolution kernel size (FlattenPatch: (O, I·kT·kH·kW) → (O, I, kT, kH, kW));
// for the others kernel is ignored.
func (t Transform) InShapeKernel(out []int64, rank int, kernel []int) ([]int64, error) {
	if t != FlattenPatch {
		return t.InShape(out, rank)
	}
	if len(kernel) != 3 || kernel[0] <= 0 || kernel[1] <= 0 || kernel[2] <= 0 {
		return nil, fmt.Errorf("%s needs a kernel size of three positive entries, got %v", t, kernel)
	}
	k := int64(kernel[0] * kernel[1] * kernel[2])
	if len(out) != 2 || out[0] <= 0 || out[1] <= 0 || out[1]%k != 0 {
		return nil, fmt.Errorf("%s output must be (O, I·%d·%d·%d), got %s", t, kernel[0], kernel[1], kernel[2], tensor.ShapeString(out))
	}
	return []int64{out[0], out[1] / k, int64(kernel[0]), int64(kernel[1]), int64(kernel[2])}, nil
}

// patchSizeHint reads "patch_size" from a config.json (upstream's or
// mlx-video's); DefaultPatchSize when it is absent or unusable. A config
// that cannot be read is reported by architecture inference, not here.
func patchSizeHint(configJSON []byte) []int {
	var cfg struct {
		PatchSize []int `json:"patch_size"`
	}
	if configJSON == nil || json.Unmarshal(configJSON, &cfg) != nil || len(cfg.PatchSize) != 3 {
		return DefaultPatchSize
	}
	for _, k := range cfg.PatchSize {
		if k <= 0 || k > 64 {
			return DefaultPatchSize
		}
	}
	return cfg.PatchSize
}

// KeepsBytes reports whether the transform only renames and reshapes: the
// converted tensor's bytes are the source's, in order (everything but
// ConvToChannelsLast).
func (t Transform) KeepsBytes() bool {
	return t == Identity || t == SqueezeGamma || t == FlattenPatch
}
