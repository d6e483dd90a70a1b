package verify

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
	"github.com/x448/float16"
)

// referenceSet is an upstream reference file: inputs and outputs per
// component, named "<component>.input.<name>" and "<component>.output[.<name>]".
type referenceSet struct {
	path   string
	src    tensor.Source
	seqLen int
}

// openReference opens reference.safetensors. The DiT sequence length comes
// from seqLen, else from the golden.json beside the file (dit.seq_len).
func openReference(path string, seqLen int) (*referenceSet, error) {
	src, err := safetensors.OpenAuto(path)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	r := &referenceSet{path: path, src: src, seqLen: seqLen}
	if r.seqLen == 0 {
		r.seqLen = seqLenBeside(path)
	}
	return r, nil
}

func seqLenBeside(path string) int {
	b, err := safefs.ReadFile(filepath.Join(filepath.Dir(path), "golden.json"), maxGoldenJSON)
	if err != nil {
		return 0
	}
	var g struct {
		DiT struct {
			SeqLen int `json:"seq_len"`
		} `json:"dit"`
	}
	if json.Unmarshal(b, &g) != nil {
		return 0
	}
	return g.DiT.SeqLen
}

// referenceIO names, per component, the reference tensors that are inputs
// (file name → model input name) and expected outputs (model output name →
// file name). The VAE's reference latent is also an input: decoding it
// isolates the decoder's error from the encoder's ("video_from_ref_latent"),
// while "video" is the whole round trip, as upstream computed it.
var referenceIO = map[mapping.Component]struct{ inputs, outputs map[string]string }{
	mapping.ComponentDiT: {
		inputs:  map[string]string{"dit.input.x": "x", "dit.input.t": "t", "dit.input.context": "context"},
		outputs: map[string]string{"output": "dit.output"},
	},
	mapping.ComponentT5: {
		inputs:  map[string]string{"t5.input.ids": "ids", "t5.input.mask": "mask"},
		outputs: map[string]string{"output": "t5.output"},
	},
	mapping.ComponentVAE: {
		inputs: map[string]string{"vae.input.video": "video", "vae.output.latent": "latent"},
		outputs: map[string]string{"latent": "vae.output.latent", "video": "vae.output.video",
			"video_from_ref_latent": "vae.output.video"},
	},
}

// expertPrefix is an A14B reference's prefix of an expert's timestep and
// output (high.input.t → high.output).
var expertPrefix = map[layout.Expert]string{layout.ExpertHigh: "high", layout.ExpertLow: "low"}

// unitIO is referenceIO for a unit. An A14B expert shares the latent, the
// context and (I2V) the conditioning y (dit.input.x|context|y) and has its
// own timestep and output (high|low.input.t → high|low.output).
func (r *referenceSet) unitIO(u unit) (inputs, outputs map[string]string) {
	if u.expert == "" {
		io := referenceIO[u.component]
		return io.inputs, io.outputs
	}
	p := expertPrefix[u.expert]
	inputs = map[string]string{"dit.input.x": "x", "dit.input.context": "context", p + ".input.t": "t"}
	if _, ok := r.src.Lookup("dit.input.y"); ok {
		inputs["dit.input.y"] = "y"
	}
	return inputs, map[string]string{"output": p + ".output"}
}

// inputs reads a unit's reference inputs and expected outputs, and the DiT
// sequence length. It returns nil maps when the reference file has no
// tensors for the unit: none of its component's ("t5.*"; for an A14B
// expert neither "dit.*" nor its own "high.*"). A reference of the other
// format (single model, A14B) is an error naming the tensor it lacks.
func (r *referenceSet) inputs(u unit) (in, want map[string]HostTensor, seqLen int, err error) {
	inputs, outputs := r.unitIO(u)
	prefixes := []string{string(u.component) + "."}
	if u.expert != "" {
		prefixes = append(prefixes, expertPrefix[u.expert]+".")
	}
	present := false
	for _, info := range r.src.Tensors() {
		for _, p := range prefixes {
			present = present || strings.HasPrefix(info.Name, p)
		}
	}
	if !present {
		return nil, nil, 0, nil
	}
	in, want = map[string]HostTensor{}, map[string]HostTensor{}
	for file, name := range inputs {
		if in[name], err = r.read(file); err != nil {
			return nil, nil, 0, err
		}
	}
	for name, file := range outputs {
		if want[name], err = r.read(file); err != nil {
			return nil, nil, 0, err
		}
	}
	return in, want, r.seqLen, nil
}

// read loads one (small) reference tensor into Go memory.
func (r *referenceSet) read(name string) (HostTensor, error) {
	info, ok := r.src.Lookup(name)
	if !ok {
		return HostTensor{}, fmt.Errorf("reference %s: tensor %q missing", r.path, name)
	}
	buf := make([]byte, info.NumBytes())
	if err := r.src.ReadTensor(name, buf); err != nil {
		return HostTensor{}, fmt.Errorf("reference: %w", err)
	}
	t := HostTensor{}
	for _, d := range info.Shape {
		t.Shape = append(t.Shape, int(d))
	}
	n := int(info.NumElements())
	switch info.DType {
	case tensor.F32, tensor.F16, tensor.BF16, tensor.F64:
		t.F32 = decodeFloats(buf, info.DType, n)
	case tensor.I64, tensor.I32:
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			if info.DType == tensor.I64 {
				t.I64[i] = int64(binary.LittleEndian.Uint64(buf[8*i:]))
			} else {
				t.I64[i] = int64(int32(binary.LittleEndian.Uint32(buf[4*i:])))
			}
		}
	default:
		return HostTensor{}, fmt.Errorf("reference %s: tensor %q has unsupported dtype %s", r.path, name, info.DType)
	}
	return t, nil
}

// decodeFloats widens little-endian float data of any float dtype to float32.
func decodeFloats(buf []byte, dt tensor.DType, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		switch dt {
		case tensor.F32:
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		case tensor.F64:
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:])))
		case tensor.F16:
			out[i] = float16.Frombits(binary.LittleEndian.Uint16(buf[2*i:])).Float32()
		case tensor.BF16:
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(buf[2*i:])) << 16)
		}
	}
	return out
}

// countNonFinite counts NaN and ±Inf values.
func countNonFinite(v []float32) int {
	n := 0
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			n++
		}
	}
	return n
}
