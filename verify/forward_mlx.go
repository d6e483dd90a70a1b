//go:build mlx

package verify

import (
	"fmt"
	"path/filepath"

	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/dit"
	"github.com/wanconv/wanconv/model/t5"
	"github.com/wanconv/wanconv/model/vae"
)

func init() { runForward = forwardMLX }

// forwardMLX loads one component, runs it and frees everything, so that
// components are verified one at a time with memory released between them.
func forwardMLX(job forwardJob) (forwardResult, error) {
	res := forwardResult{Outputs: map[string]HostTensor{}, Spec: job.Spec}
	err := mlx.Do(func() error {
		dev := mlx.CPU
		if job.Device == "gpu" {
			dev = mlx.GPU
		}
		if err := mlx.SetDefaultDevice(dev); err != nil {
			return err
		}
		mlx.ResetPeakMemory()
		var err error
		switch job.Component {
		case "dit":
			err = forwardDiT(job, &res)
		case "t5":
			err = forwardT5(job, &res)
		case "vae":
			err = forwardVAE(job, &res)
		default:
			err = fmt.Errorf("unknown component %q", job.Component)
		}
		res.PeakMemory = mlx.PeakMemory()
		return err
	})
	_ = mlx.Do(func() error { mlx.ClearCache(); return nil })
	return res, err
}

func forwardDiT(job forwardJob, res *forwardResult) error {
	m, err := dit.Load(job.Dir, dit.Options{})
	if err != nil {
		return err
	}
	defer m.Free()
	var x, t, ctx *mlx.Array
	seqLen := job.SeqLen
	if job.Inputs != nil {
		x, t, ctx = hostArray(job.Inputs["x"]), hostArray(job.Inputs["t"]), hostArray(job.Inputs["context"])
	} else {
		s := job.Spec
		in, err := dit.SyntheticInputs(m.Config, s.Frames, s.Height, s.Width, s.ContextLen, s.Seed)
		if err != nil {
			return err
		}
		x, t, ctx = in.Arrays()
		seqLen = in.SeqLen
		res.Spec.Timestep = float64(in.Timestep)
	}
	if seqLen == 0 {
		seqLen = tokenCount(x.Shape(), m.Config.PatchSize)
	}
	out, err := m.Forward(x, t, ctx, seqLen)
	if err != nil {
		return err
	}
	return store(res, "output", out)
}

func forwardT5(job forwardJob, res *forwardResult) error {
	m, err := t5.Load(filepath.Join(job.Dir, t5.WeightsFileName), t5.Options{})
	if err != nil {
		return err
	}
	defer m.Free()
	var ids, mask *mlx.Array
	if job.Inputs != nil {
		ids, mask = hostInt32(job.Inputs["ids"]), hostInt32(job.Inputs["mask"])
	} else {
		s := job.Spec
		idv, maskv, err := t5.SyntheticTokens(m.Config.Vocab, s.Tokens, s.ValidTokens, s.Seed)
		if err != nil {
			return err
		}
		ids, mask = mlx.FromInt32s(idv, 1, len(idv)), mlx.FromInt32s(maskv, 1, len(maskv))
	}
	out, err := m.Encode(ids, mask)
	if err != nil {
		return err
	}
	return store(res, "output", out)
}

func forwardVAE(job forwardJob, res *forwardResult) error {
	m, err := vae.Load(filepath.Join(job.Dir, vae.WeightsFile), vae.Options{})
	if err != nil {
		return err
	}
	defer m.Free()
	var video *mlx.Array
	if job.Inputs != nil {
		video = hostArray(job.Inputs["video"])
	} else {
		s := job.Spec
		video = mlx.FromFloat32s(vae.SyntheticVideo(s.Frames, s.Height, s.Width, s.Seed), 3, s.Frames, s.Height, s.Width)
	}
	latent, err := m.Encode(video)
	if err != nil {
		return err
	}
	if err := store(res, "latent", latent); err != nil {
		return err
	}
	decoded, err := m.Decode(latent)
	if err != nil {
		return err
	}
	if err := store(res, "video", decoded); err != nil {
		return err
	}
	if ref, ok := job.Inputs["latent"]; ok {
		fromRef, err := m.Decode(hostArray(ref))
		if err != nil {
			return err
		}
		return store(res, "video_from_ref_latent", fromRef)
	}
	return nil
}

func hostArray(t HostTensor) *mlx.Array { return mlx.FromFloat32s(t.F32, t.Shape...) }

func hostInt32(t HostTensor) *mlx.Array {
	v := make([]int32, len(t.I64))
	for i, x := range t.I64 {
		v[i] = int32(x)
	}
	return mlx.FromInt32s(v, t.Shape...)
}

// store copies an output back to Go memory as float32.
func store(res *forwardResult, name string, a *mlx.Array) error {
	data, err := a.Float32s()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	res.Outputs[name] = HostTensor{Shape: a.Shape(), F32: data}
	return nil
}

// tokenCount is the number of patches of a latent [C, F, H, W].
func tokenCount(shape []int, patch [3]int) int {
	if len(shape) != 4 || patch[0]*patch[1]*patch[2] == 0 {
		return 0
	}
	return (shape[1] / patch[0]) * (shape[2] / patch[1]) * (shape[3] / patch[2])
}
