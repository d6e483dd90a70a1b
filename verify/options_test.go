package verify

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// TestValidate: each rule on and between the options, with the command
// line's message (cmd/internal/verifycli prints it), one broken at a time.
func TestValidate(t *testing.T) {
	t.Parallel()
	ok := Options{Dir: "d", Components: []mapping.Component{mapping.ComponentT5}, Device: "cpu", StreamDiT: "auto"}
	require.NoError(t, ok.Validate())
	for want, change := range map[string]func(o *Options){
		`unknown component "unet" (want dit, t5, vae)`:                                           func(o *Options) { o.Components = append(o.Components, "unet") },
		`--experts: unknown expert "mid_noise_model" (want high_noise_model or low_noise_model)`: func(o *Options) { o.Experts = []layout.Expert{layout.ExpertLow, "mid_noise_model"} },
		"--ref-tolerance must be >= 0, got -0.5":                                                 func(o *Options) { o.RefTolerance = -0.5 },
		"--seq-len must be >= 0, got -1":                                                         func(o *Options) { o.SeqLen = -1 },
		"--seed and --golden are exclusive: the golden file fixes the inputs":                    func(o *Options) { o.Seed, o.GoldenPath = 3, "g.json" },
		"no components selected":                                                                 func(o *Options) { o.Components = nil },
		`--stream-dit: unknown value "" (want on, off or auto)`:                                  func(o *Options) { o.StreamDiT = "" },
		`unknown device "tpu" (want cpu or gpu)`:                                                 func(o *Options) { o.Device = "tpu" },
		"--golden and --record-golden are exclusive":                                             func(o *Options) { o.GoldenPath, o.RecordGolden = "g.json", "r.json" },
	} {
		o := ok
		o.Components = append([]mapping.Component(nil), ok.Components...)
		change(&o)
		require.EqualError(t, o.Validate(), want)
	}
	for _, fine := range []func(o *Options){
		func(o *Options) { o.Components = append(o.Components, mapping.ComponentDiT, mapping.ComponentVAE) },
		func(o *Options) { o.Experts = []layout.Expert{layout.ExpertHigh} },
		func(o *Options) { o.Device, o.StreamDiT = "gpu", "on" },
		func(o *Options) { o.Seed, o.RecordGolden, o.StreamDiT = 7, "r.json", "off" },
	} {
		o := ok
		fine(&o)
		require.NoError(t, o.Validate())
	}
}
