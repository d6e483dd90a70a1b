package verify

import (
	"fmt"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// relayoutSource serves a checkpoint of another layout (mlx-video's) under
// wanconv names, shapes and byte layouts, tensor by tensor, as
// mapping.RelayoutToWanconv says: what a block-streamed DiT reads, so that
// the forward pass checks the other converter's bytes. Only the conv
// channels-last permutation moves bytes (mlx-video's flattened patch
// embedding is in PyTorch order); renames, squeezed gammas and flattening
// keep them.
type relayoutSource struct {
	src    tensor.Source
	infos  []tensor.Info
	byName map[string]mapping.Relayout // by wanconv name
	buf    []byte
}

func newRelayoutSource(src tensor.Source, l mapping.Layout, c mapping.Component, configJSON []byte) (*relayoutSource, error) {
	stored := src.Tensors()
	rel, err := mapping.RelayoutToWanconv(l, c, stored, configJSON)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Path(), err)
	}
	dtypes := make(map[string]tensor.DType, len(stored))
	for _, t := range stored {
		dtypes[t.Name] = t.DType
	}
	r := &relayoutSource{src: src, byName: make(map[string]mapping.Relayout, len(rel))}
	for _, x := range rel {
		if _, dup := r.byName[x.Target]; dup {
			return nil, fmt.Errorf("%s: two tensors map to %s", src.Path(), x.Target)
		}
		r.byName[x.Target] = x
		r.infos = append(r.infos, tensor.Info{Name: x.Target, DType: dtypes[x.Name], Shape: x.Shape})
	}
	tensor.SortInfos(r.infos)
	return r, nil
}

func (r *relayoutSource) Path() string           { return r.src.Path() }
func (r *relayoutSource) Tensors() []tensor.Info { return r.infos }
func (r *relayoutSource) Close() error           { return r.src.Close() }

func (r *relayoutSource) Lookup(name string) (tensor.Info, bool) {
	x, ok := r.byName[name]
	if !ok {
		return tensor.Info{}, false
	}
	info, _ := r.src.Lookup(x.Name)
	return tensor.Info{Name: name, DType: info.DType, Shape: x.Shape}, true
}

// ReadTensor reads the stored tensor and, where the layouts order its bytes
// differently, permutes them: channels-last (O, s…, I) back to PyTorch's
// (O, I, s…) and/or forward again.
func (r *relayoutSource) ReadTensor(name string, dst []byte) error {
	x, ok := r.byName[name]
	if !ok {
		return fmt.Errorf("%s: no tensor %s", r.src.Path(), name)
	}
	from, to := x.From == mapping.ConvToChannelsLast, x.To == mapping.ConvToChannelsLast
	if from == to {
		return r.src.ReadTensor(x.Name, dst)
	}
	if cap(r.buf) < len(dst) {
		r.buf = make([]byte, len(dst))
	}
	buf := r.buf[:len(dst)]
	if err := r.src.ReadTensor(x.Name, buf); err != nil {
		return err
	}
	info, _ := r.src.Lookup(x.Name)
	o, i, s := convAxes(x.TorchShape)
	permuteChannels(dst, buf, o, i, s, info.DType.Size(), to)
	return nil
}

// convAxes splits a PyTorch conv weight shape (O, I, s…) into O, I and the
// kernel volume.
func convAxes(shape []int64) (o, i, s int64) {
	o, i, s = shape[0], shape[1], 1
	for _, d := range shape[2:] {
		s *= d
	}
	return o, i, s
}

// permuteChannels moves a conv weight's bytes from (O, I, S) to (O, S, I)
// (toLast) or back, el bytes per element.
func permuteChannels(dst, src []byte, o, i, s int64, el int, toLast bool) {
	e := int64(el)
	for a := int64(0); a < o; a++ {
		for b := int64(0); b < i; b++ {
			for c := int64(0); c < s; c++ {
				first := ((a*i+b)*s + c) * e // (O, I, S)
				last := ((a*s+c)*i + b) * e  // (O, S, I)
				if toLast {
					copy(dst[last:last+e], src[first:first+e])
				} else {
					copy(dst[first:first+e], src[last:last+e])
				}
			}
		}
	}
}
