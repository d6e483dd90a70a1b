//go:build mlx

package dit

import (
	"fmt"
	"strings"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// streamer reads the transformer blocks' weights from their source during
// each forward pass.
type streamer struct {
	src    tensor.Source
	blocks [][]tensor.Info // per block, its tensors as stored
	buf    []byte          // read buffer, reused (the largest tensor)
}

// LoadStreamed opens a DiT for block-streamed forward passes from src
// (wanconv names and layouts, e.g. safetensors.OpenAuto of a converted
// directory's index): the embeddings, time projection and head are read
// into memory now; each transformer block's tensors are read from src when
// a forward pass reaches the block, evaluated with it and released before
// the next block is read. Peak memory is then about one block's weights
// (and their compute-dtype copies) plus the activations and the resident
// parts, whatever the number of layers: what makes a 28.6 GB bfloat16
// A14B expert run on a smaller machine. A forward pass reads every block
// once. src must stay open while the model is used (the caller closes it
// after Free). The architecture and the completeness of src's tensor set
// are checked first (mapping.CheckConverted), so a missing block tensor is
// an error now, not in the middle of a pass. Load runs its MLX work inside
// mlx.Do itself.
func LoadStreamed(src tensor.Source, configJSON []byte, opts Options) (*Model, error) {
	infos := src.Tensors()
	if err := checkStoredDTypes(infos); err != nil {
		return nil, fmt.Errorf("%s: %w", src.Path(), err)
	}
	described, quant, err := describeInfos(infos, configJSON)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Path(), err)
	}
	inferred, err := mapping.CheckConverted(mapping.ComponentDiT, described, configJSON)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Path(), err)
	}
	a, err := resolveArch(inferred.(*mapping.DiTArch))
	if err != nil {
		return nil, err
	}
	if opts, err = opts.resolve(); err != nil {
		return nil, err
	}
	st := &streamer{src: src, blocks: make([][]tensor.Info, a.NumLayers)}
	var shared []tensor.Info
	for _, info := range infos {
		if k, ok := blockIndex(info.Name); ok && k < a.NumLayers {
			st.blocks[k] = append(st.blocks[k], info)
		} else {
			shared = append(shared, info)
		}
	}
	m := &Model{arch: a, opts: opts, stream: st}
	m.setQuantized(quant)
	err = mlx.Do(func() error {
		ws := make(map[string]*mlx.Array, len(shared))
		for _, info := range shared {
			arr, err := st.read(info)
			if err != nil {
				return err
			}
			mlx.Keep(arr) // the model takes it, or it is freed below
			ws[info.Name] = arr
		}
		if err := m.build(ws, false); err != nil {
			for _, arr := range ws {
				arr.Free()
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// checkStoredDTypes refuses what no model runs: float64 weights (mapping
// refuses the non-floating types).
func checkStoredDTypes(infos []tensor.Info) error {
	for _, info := range infos {
		if info.DType == tensor.F64 {
			return fmt.Errorf("tensor %s: dtype float64 is not supported (want float32, bfloat16 or float16)", info.Name)
		}
	}
	return nil
}

// blockIndex parses "blocks.K.…".
func blockIndex(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "blocks.")
	if !ok {
		return 0, false
	}
	seg, _, _ := strings.Cut(rest, ".")
	k := 0
	for _, r := range seg {
		if r < '0' || r > '9' || k > 1<<20 {
			return 0, false
		}
		k = 10*k + int(r-'0')
	}
	return k, seg != ""
}

// read copies one stored tensor into a new (evaluated) array of the
// current scope.
func (st *streamer) read(info tensor.Info) (*mlx.Array, error) {
	n := info.NumBytes()
	if int64(cap(st.buf)) < n {
		st.buf = make([]byte, n)
	}
	buf := st.buf[:n]
	if err := st.src.ReadTensor(info.Name, buf); err != nil {
		return nil, err
	}
	shape := make([]int, len(info.Shape))
	for i, d := range info.Shape {
		shape[i] = int(d)
	}
	dt := weights.MLXDType(info.DType)
	if info.DType == tensor.U32 { // a quantized Linear's codes
		dt = mlx.Uint32
	}
	arr := mlx.FromBytes(buf, dt, shape...)
	if err := mlx.Eval(arr); err != nil {
		return nil, fmt.Errorf("%s: tensor %s: %w", st.src.Path(), info.Name, err)
	}
	return arr, nil
}

// forward runs every block on tokens: each block's weights are read and
// its graph built in a scope that keeps only the block's output, so that
// evaluating it frees every intermediate (and each weight) as soon as the
// evaluation has used it; the next block is read only then. The tokens each
// block replaces are freed too, except the caller's.
func (st *streamer) forward(m *Model, tokens *mlx.Array, s *step) (*mlx.Array, error) {
	for k, infos := range st.blocks {
		var err error
		out := mlx.Scoped(func() []*mlx.Array {
			ws := make(map[string]*mlx.Array, len(infos))
			for _, info := range infos {
				arr, rerr := st.read(info)
				if rerr != nil {
					err = rerr
					return nil
				}
				ws[info.Name] = arr
			}
			b := builder{m: m, weights: ws, used: map[*mlx.Array]bool{}}
			return []*mlx.Array{b.block(fmt.Sprintf("blocks.%d", k)).forward(tokens, s)}
		})
		if err != nil {
			return nil, err
		}
		if err := mlx.Eval(out[0]); err != nil {
			return nil, fmt.Errorf("dit: block %d: %w", k, err)
		}
		if k > 0 {
			tokens.Free()
		}
		tokens = out[0]
	}
	return tokens, nil
}

// Streamed reports whether the model reads its blocks during each forward
// pass (LoadStreamed).
func (m *Model) Streamed() bool { return m.stream != nil }
