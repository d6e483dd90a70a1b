//go:build mlx

package verify

import (
	"fmt"
	"slices"

	"github.com/wanconv/wanconv/format/safetensors"
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

// loadDiT builds the DiT in memory or, with job.Stream, block-streamed from
// its checkpoint (another layout's through a relayoutSource); close
// releases the streamed model's source once the model is freed.
func loadDiT(job forwardJob) (m *dit.Model, close func(), err error) {
	return loadDiTWith(job, dit.Options{})
}

// loadDiTWith is loadDiT with the model's options (a quantized DiT's
// dequantized run).
func loadDiTWith(job forwardJob, opts dit.Options) (m *dit.Model, close func(), err error) {
	nothing := func() {}
	wanconv := job.Layout == mapping.LayoutWanconv || job.Layout == ""
	if job.Stream {
		src, err := openStreamSource(job, wanconv)
		if err != nil {
			return nil, nil, err
		}
		m, err := dit.LoadStreamed(src, job.Config, opts)
		if err != nil {
			_ = src.Close()
			return nil, nil, err
		}
		return m, func() { _ = src.Close() }, nil
	}
	ws, err := loadRenamed(job, mapping.ComponentDiT)
	if err != nil {
		return nil, nil, err
	}
	arch, err := dit.ArchFromWeights(ws, job.Config)
	if err == nil {
		if m, err = dit.New(arch, ws, opts); err == nil {
			return m, nothing, nil
		}
	}
	freeAll(ws)
	return nil, nil, fmt.Errorf("%s: %w", job.Checkpoint, err)
}

// openStreamSource opens a DiT checkpoint for streaming, in wanconv names.
func openStreamSource(job forwardJob, wanconv bool) (tensor.Source, error) {
	src, err := safetensors.OpenAutoWith(job.Open, job.Checkpoint)
	if err != nil {
		return nil, err
	}
	if wanconv {
		return src, nil
	}
	rs, err := newRelayoutSource(src, job.Layout, mapping.ComponentDiT, job.Config)
	if err != nil {
		_ = src.Close()
		return nil, err
	}
	return rs, nil
}

func loadT5(job forwardJob) (*t5.Model, error) {
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
	return nil, fmt.Errorf("%s: %w", job.Checkpoint, err)
}

func loadVAE(job forwardJob) (*vae.Model, error) {
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
	return nil, fmt.Errorf("%s: %w", job.Checkpoint, err)
}

// loadRenamed reads a component's files (through job.Open) and returns its
// arrays under wanconv names and shapes (kept: the caller or the model frees
// them). A wanconv-layout checkpoint is returned as read; another layout's
// is renamed, and where the layouts store a tensor differently (mlx-video's
// flattened patch embedding, the Wan2.1 VAE's unsqueezed gammas) reshaped
// and permuted to wanconv's, as mapping.RelayoutToWanconv says.
func loadRenamed(job forwardJob, c mapping.Component) (map[string]*mlx.Array, error) {
	loaded, err := loadArrays(job)
	if err != nil {
		return nil, err
	}
	if job.Layout == mapping.LayoutWanconv || job.Layout == "" {
		return loaded, nil
	}
	described := make([]tensor.Info, 0, len(loaded))
	for name, a := range loaded {
		shape := make([]int64, len(a.Shape()))
		for i, d := range a.Shape() {
			shape[i] = int64(d)
		}
		dt := tensor.F32 // shapes are what is mapped, and which tensors are a quantized Linear's codes
		if a.Dtype() == mlx.Uint32 {
			dt = tensor.U32
		}
		described = append(described, tensor.Info{Name: name, DType: dt, Shape: shape})
	}
	rel, err := mapping.RelayoutToWanconv(job.Layout, c, described, job.Config)
	if err != nil {
		freeAll(loaded)
		return nil, err
	}
	out := make(map[string]*mlx.Array, len(loaded))
	for _, x := range rel {
		a := relayout(loaded[x.Name], x)
		if a != loaded[x.Name] {
			if err := mlx.Eval(a); err != nil {
				freeAll(loaded)
				return nil, fmt.Errorf("tensor %s: %w", x.Name, err)
			}
			mlx.Keep(a)
			loaded[x.Name].Free()
		}
		out[x.Target] = a
	}
	for _, a := range out {
		mlx.Keep(a)
	}
	return out, nil
}

// relayout turns a stored array into the wanconv layout's: channels-last
// undone when only the source has it, then PyTorch's shape, channels-last
// applied when only wanconv has it, then wanconv's shape. An array already
// in the right shape and order is returned as is.
func relayout(a *mlx.Array, x mapping.Relayout) *mlx.Array {
	from, to := x.From == mapping.ConvToChannelsLast, x.To == mapping.ConvToChannelsLast
	if from != to {
		if from { // (O, s…, I) → (O, I, s…)
			n := a.Ndim()
			axes := append([]int{0, n - 1}, seq(1, n-1)...)
			a = mlx.Transpose(a, axes...)
		}
		a = mlx.Reshape(a, ints(x.TorchShape)...)
		if to { // (O, I, s…) → (O, s…, I)
			n := a.Ndim()
			a = mlx.Transpose(a, append(append([]int{0}, seq(2, n)...), 1)...)
		}
	}
	if !slices.Equal(a.Shape(), ints(x.Shape)) {
		a = mlx.Reshape(a, ints(x.Shape)...)
	}
	return a
}

// seq is lo, lo+1, …, hi−1.
func seq(lo, hi int) []int {
	var out []int
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

func ints(v []int64) []int {
	out := make([]int, len(v))
	for i, d := range v {
		out[i] = int(d)
	}
	return out
}

func freeAll(ws map[string]*mlx.Array) {
	for _, a := range ws {
		a.Free()
	}
}
