//go:build mlx

package verify

import (
	"fmt"
	"strings"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/dit"
	"github.com/wanconv/wanconv/model/t5"
	"github.com/wanconv/wanconv/model/vae"
	"github.com/wanconv/wanconv/tensor"
)

// The models take wanconv-layout tensors. A checkpoint in another layout
// (mlx-video's) is loaded, renamed through mapping's tables and, where that
// layout stores a tensor differently (the flattened patch embedding),
// reshaped back before the model is built: the forward pass then checks the
// other converter's bytes, not a copy of ours.

func loadDiT(job forwardJob) (*dit.Model, error) { return loadDiTWith(job, dit.Options{}) }

// loadDiTWith loads the DiT with the given options (nil model on error).
func loadDiTWith(job forwardJob, opts dit.Options) (*dit.Model, error) {
	if job.Layout == mapping.LayoutWanconv || job.Layout == "" {
		return dit.Load(job.Files, job.Config, opts)
	}
	ws, err := loadRenamed(job, mapping.ComponentDiT)
	if err != nil {
		return nil, err
	}
	arch, err := dit.ArchFromWeights(ws, job.Config)
	if err == nil {
		var m *dit.Model
		if m, err = dit.New(arch, ws, opts); err == nil {
			return m, nil
		}
	}
	freeAll(ws)
	return nil, err
}

func loadT5(job forwardJob) (*t5.Model, error) {
	if job.Layout == mapping.LayoutWanconv || job.Layout == "" {
		return t5.Load(job.Files[0], t5.Options{})
	}
	ws, err := loadRenamed(job, mapping.ComponentT5)
	if err != nil {
		return nil, err
	}
	arch, err := t5.ArchFromWeights(ws)
	if err == nil {
		var m *t5.Model
		if m, err = t5.New(arch, ws, t5.Options{}); err == nil {
			return m, nil
		}
	}
	freeAll(ws)
	return nil, err
}

func loadVAE(job forwardJob) (*vae.Model, error) {
	if job.Layout == mapping.LayoutWanconv || job.Layout == "" {
		return vae.Load(job.Files[0], vae.Options{})
	}
	ws, err := loadRenamed(job, mapping.ComponentVAE)
	if err != nil {
		return nil, err
	}
	arch, err := vae.ArchFromWeights(ws)
	if err == nil {
		var m *vae.Model
		if m, err = vae.New(arch, ws, vae.Options{}); err == nil {
			return m, nil
		}
	}
	freeAll(ws)
	return nil, err
}

// loadRenamed reads a component's files in job.Layout and returns its
// arrays under wanconv names and shapes (kept: the caller or the model frees
// them).
func loadRenamed(job forwardJob, c mapping.Component) (map[string]*mlx.Array, error) {
	loaded := map[string]*mlx.Array{}
	for _, f := range job.Files {
		arrs, _, err := mlx.LoadSafetensors(f)
		if err != nil {
			freeAll(loaded)
			return nil, fmt.Errorf("loading %s: %w", f, err)
		}
		for name, a := range arrs {
			if _, dup := loaded[name]; dup {
				freeAll(loaded)
				return nil, fmt.Errorf("tensor %s appears in more than one file (again in %s)", name, f)
			}
			loaded[name] = a
		}
	}
	infos := make([]tensorInfo, 0, len(loaded))
	for name, a := range loaded {
		infos = append(infos, tensorInfo{name, a})
	}
	parts := quantParts(loaded) // a quantized Linear's scales and biases: renamed with its weight
	described := make([]tensor.Info, 0, len(loaded))
	for name, a := range loaded {
		if _, part := parts[name]; part {
			continue
		}
		shape := make([]int64, len(a.Shape()))
		for i, d := range a.Shape() {
			shape[i] = int64(d)
		}
		described = append(described, tensor.Info{Name: name, DType: tensor.F32, Shape: shape}) // shapes are what is mapped
	}
	torch, err := mapping.ToPyTorchLayout(job.Layout, c, described, job.Config)
	if err != nil {
		freeAll(loaded)
		return nil, err
	}
	torchShape := map[string][]int64{}
	for _, t := range torch {
		torchShape[t.Name] = t.Shape
	}
	out := make(map[string]*mlx.Array, len(loaded))
	for _, ti := range infos {
		if p, part := parts[ti.name]; part {
			stem := strings.TrimSuffix(mapping.TargetName(c, mapping.SourceNameLayout(job.Layout, c, p.weight)), ".weight")
			out[stem+p.suffix] = ti.a
			continue
		}
		src := mapping.SourceNameLayout(job.Layout, c, ti.name)
		target := mapping.TargetName(c, src)
		a := ti.a
		if ts := torchShape[src]; len(ts) == 5 && len(a.Shape()) == 2 {
			// the flattened patch embedding: back to PyTorch's shape, then
			// wanconv's channels-last one
			shape := make([]int, len(torchShape[src]))
			for i, d := range torchShape[src] {
				shape[i] = int(d)
			}
			a = mlx.Transpose(mlx.Reshape(a, shape...), 0, 2, 3, 4, 1)
			if err := mlx.Eval(a); err != nil {
				freeAll(loaded)
				return nil, fmt.Errorf("tensor %s: %w", ti.name, err)
			}
			mlx.Keep(a)
			ti.a.Free()
		}
		out[target] = a
	}
	for _, a := range out {
		mlx.Keep(a)
	}
	return out, nil
}

// quantPart is a quantized Linear's scales or biases: its weight's name
// and the suffix.
type quantPart struct{ weight, suffix string }

// quantParts finds the .scales and .biases whose .weight is uint32.
func quantParts(ws map[string]*mlx.Array) map[string]quantPart {
	out := map[string]quantPart{}
	for name := range ws {
		for _, suffix := range []string{".scales", ".biases"} {
			stem, ok := strings.CutSuffix(name, suffix)
			if w, has := ws[stem+".weight"]; ok && has && w.Dtype() == mlx.Uint32 {
				out[name] = quantPart{stem + ".weight", suffix}
			}
		}
	}
	return out
}

type tensorInfo struct {
	name string
	a    *mlx.Array
}

func freeAll(ws map[string]*mlx.Array) {
	for _, a := range ws {
		a.Free()
	}
}
