package mapping

import (
	"errors"
	"strings"
	"testing"

	"github.com/wanconv/wanconv/tensor"
)

// FuzzPlan feeds arbitrary names and shapes (one "name dims..." per line,
// dims as bytes of the second argument) and a config to every entry point:
// none may panic, and every failure must be a *PlanError.
func FuzzPlan(f *testing.F) {
	f.Add("patch_embedding.weight\nblocks.0.modulation\nhead.head.weight", []byte{8, 4, 1, 2, 2, 1, 6, 8, 16, 8}, `{"num_heads": 2}`)
	f.Add("encoder.conv1.weight\nencoder.downsamples.0.downsamples.0.residual.0.gamma\ndecoder.conv1.weight",
		[]byte{16, 12, 3, 3, 3, 16, 1, 1, 1, 32, 4, 3, 3, 3}, "")
	f.Add("token_embedding.weight\nblocks.0.pos_embedding.embedding.weight\nblocks.0.attn.q.weight", []byte{10, 8, 4, 2, 8, 8}, "")
	f.Add("decoder.middle.layers.1.norm.gamma\nblocks.0.ffn.layers.0.weight", []byte{0, 3, 1}, `{"patch_size": [0]}`)
	f.Fuzz(func(t *testing.T, names string, dims []byte, config string) {
		var src []tensor.Info
		for i, n := range strings.Split(names, "\n") {
			var shape []int64
			rank := i%5 + 1
			for j := 0; j < rank && len(dims) > 0; j++ {
				shape = append(shape, int64(dims[0]))
				dims = dims[1:]
			}
			src = append(src, tensor.Info{Name: n, DType: tensor.F32, Shape: shape})
		}
		var cfg []byte
		if config != "" {
			cfg = []byte(config)
		}
		for _, c := range Components {
			_, err := PlanComponent(c, src, cfg)
			mustBePlanError(t, err)
			_, err = CheckConverted(c, src, cfg)
			mustBePlanError(t, err)
			_, err = ToPyTorch(c, src)
			mustBePlanError(t, err)
		}
		names2 := make([]string, len(src))
		for i, s := range src {
			names2[i] = s.Name
		}
		_, _, _ = Detect(names2)
	})
}

func mustBePlanError(t *testing.T, err error) {
	var pe *PlanError
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("error %T is not a *PlanError: %v", err, err)
	}
}
