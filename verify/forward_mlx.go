//go:build mlx

package verify

import (
	"fmt"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/dit"
	"github.com/wanconv/wanconv/model/t5"
	"github.com/wanconv/wanconv/model/vae"
)

func init() {
	runForward = forwardMLX
	gpuAvailable = mlx.GPUAvailable
}

// forwardMLX loads one component once, runs the deterministic inputs (and
// the reference inputs, when given) and frees everything, so components are
// verified one at a time with memory released between them.
func forwardMLX(job forwardJob) (forwardResult, error) {
	res := forwardResult{Outputs: map[string]HostTensor{}, RefOutputs: map[string]HostTensor{}, Spec: job.Spec}
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
		case mapping.ComponentDiT:
			err = forwardDiT(job, &res)
		case mapping.ComponentT5:
			err = forwardT5(job, &res)
		case mapping.ComponentVAE:
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
	m, closeSrc, err := loadDiT(job)
	if err != nil {
		return err
	}
	defer func() { // m and closeSrc change for a quantized DiT's dequantized run
		if m != nil {
			m.Free()
		}
		closeSrc()
	}()
	s := job.Spec
	in, err := dit.SyntheticInputs(m.Arch(), s.Frames, s.Height, s.Width, s.ContextLen, s.Seed)
	if err != nil {
		return err
	}
	res.Spec.Timestep = float64(in.Timestep)
	x, t, ctx := in.Arrays()
	if err := runDiT(m, x, in.YArray(), t, ctx, in.SeqLen, res.Outputs); err != nil {
		return err
	}
	if job.RefInputs == nil {
		return nil
	}
	x = hostArray(job.RefInputs["x"])
	var y *mlx.Array
	if ry, ok := job.RefInputs["y"]; ok {
		y = hostArray(ry)
	}
	seqLen := job.SeqLen
	if seqLen == 0 {
		seqLen = tokenCount(x.Shape(), m.Arch().PatchSize)
	}
	t, ctx = hostArray(job.RefInputs["t"]), hostArray(job.RefInputs["context"])
	if err := runDiT(m, x, y, t, ctx, seqLen, res.RefOutputs); err != nil || !job.Quantized {
		return err
	}
	// The same checkpoint with its Linears dequantized: what the quantized
	// kernel adds shows against this run, what the quantization costs
	// against the reference.
	m.Free()
	closeSrc()
	m, closeSrc = nil, func() {}
	if m, closeSrc, err = loadDiTWith(job, dit.Options{DequantizeLinears: true}); err != nil {
		m, closeSrc = nil, func() {}
		return fmt.Errorf("dequantized run: %w", err)
	}
	res.DequantizedRefOutputs = map[string]HostTensor{}
	return runDiT(m, x, y, t, ctx, seqLen, res.DequantizedRefOutputs)
}

func runDiT(m *dit.Model, x, y, t, ctx *mlx.Array, seqLen int, outs map[string]HostTensor) error {
	out, err := m.ForwardY(x, y, t, ctx, seqLen)
	if err != nil {
		return err
	}
	return store(outs, "output", out)
}

func forwardT5(job forwardJob, res *forwardResult) error {
	m, err := loadT5(job)
	if err != nil {
		return err
	}
	defer m.Free()
	s := job.Spec
	idv, maskv, err := t5.SyntheticTokens(m.Arch().Vocab, s.Tokens, s.ValidTokens, s.Seed)
	if err != nil {
		return err
	}
	if err := runT5(m, mlx.FromInt32s(idv, 1, len(idv)), mlx.FromInt32s(maskv, 1, len(maskv)), res.Outputs); err != nil {
		return err
	}
	if job.RefInputs == nil {
		return nil
	}
	return runT5(m, hostInt32(job.RefInputs["ids"]), hostInt32(job.RefInputs["mask"]), res.RefOutputs)
}

func runT5(m *t5.Model, ids, mask *mlx.Array, outs map[string]HostTensor) error {
	out, err := m.Encode(ids, mask)
	if err != nil {
		return err
	}
	return store(outs, "output", out)
}

func forwardVAE(job forwardJob, res *forwardResult) error {
	m, err := loadVAE(job)
	if err != nil {
		return err
	}
	defer m.Free()
	s := job.Spec
	video := mlx.FromFloat32s(vae.SyntheticVideo(s.Frames, s.Height, s.Width, s.Seed), 3, s.Frames, s.Height, s.Width)
	if err := runVAE(m, video, nil, res.Outputs); err != nil {
		return err
	}
	if job.RefInputs == nil {
		return nil
	}
	var refLatent *mlx.Array
	if l, ok := job.RefInputs["latent"]; ok {
		refLatent = hostArray(l)
	}
	return runVAE(m, hostArray(job.RefInputs["video"]), refLatent, res.RefOutputs)
}

// runVAE encodes video and decodes the latent (the round trip); with
// refLatent it also decodes that latent alone, isolating the decoder.
func runVAE(m *vae.Model, video, refLatent *mlx.Array, outs map[string]HostTensor) error {
	latent, err := m.Encode(video)
	if err != nil {
		return err
	}
	if err := store(outs, "latent", latent); err != nil {
		return err
	}
	decoded, err := m.Decode(latent)
	if err != nil {
		return err
	}
	if err := store(outs, "video", decoded); err != nil {
		return err
	}
	if refLatent == nil {
		return nil
	}
	fromRef, err := m.Decode(refLatent)
	if err != nil {
		return err
	}
	return store(outs, "video_from_ref_latent", fromRef)
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
func store(outs map[string]HostTensor, name string, a *mlx.Array) error {
	data, err := a.Float32s()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	outs[name] = HostTensor{Shape: a.Shape(), F32: data}
	return nil
}

// tokenCount is the number of patches of a latent [C, F, H, W].
func tokenCount(shape []int, patch []int) int {
	if len(shape) != 4 || len(patch) != 3 || patch[0]*patch[1]*patch[2] == 0 {
		return 0
	}
	return (shape[1] / patch[0]) * (shape[2] / patch[1]) * (shape[3] / patch[2])
}
