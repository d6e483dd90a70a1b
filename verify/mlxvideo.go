package verify

import (
	"github.com/wanconv/wanconv/mapping"
)

// checkMLXVideoConfig checks an mlx-video directory's config.json (the
// WanModelConfig its runtime reads) against the weights of every component
// present: each contradiction is a failed check naming the field. What
// mlx-video could not run although the files are well formed is a note.
func checkMLXVideoConfig(dir *convertedDir, dit mapping.Arch, c *ComponentReport) {
	if dir.Config == nil {
		c.check("config", false, "config.json missing: mlx-video needs its WanModelConfig")
		return
	}
	w := mapping.MLXVideoWeights{Experts: dir.experts()}
	w.DiT, _ = dit.(*mapping.DiTArch)
	for _, comp := range []mapping.Component{mapping.ComponentT5, mapping.ComponentVAE} {
		src, err := dir.open(unitOf(comp))
		if err != nil {
			continue
		}
		arch, _ := mapping.CheckConvertedLayout(mapping.LayoutMLXVideo, comp, src.Tensors(), nil)
		_ = src.Close()
		switch a := arch.(type) {
		case *mapping.T5Arch:
			w.T5 = a
		case *mapping.VAEArch:
			w.VAE = a
		}
	}
	problems := mapping.CheckMLXVideoConfig(dir.Config, w)
	for _, p := range problems {
		name := "config"
		if p.Field != "" {
			name = "config." + p.Field
		}
		c.check(name, false, "%s", p.String())
	}
	if len(problems) == 0 {
		c.check("config", true, "config.json agrees with the weights (every WanModelConfig field mlx-video reads)")
	}
	for _, n := range mapping.MLXVideoRuntimeNotes(w) {
		c.note("mlx-video", "%s", n)
	}
}
