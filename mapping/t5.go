package mapping

import (
	"fmt"

	"github.com/wanconv/wanconv/tensor"
)

// T5Arch is the T5Encoder configuration of wan/modules/t5.py.
type T5Arch struct {
	Vocab      int  `json:"vocab"`
	Dim        int  `json:"dim"`
	DimAttn    int  `json:"dim_attn"`
	DimFFN     int  `json:"dim_ffn"`
	NumHeads   int  `json:"num_heads"`
	NumLayers  int  `json:"num_layers"`
	NumBuckets int  `json:"num_buckets"`
	SharedPos  bool `json:"shared_pos"` // one encoder-level relative position embedding instead of one per block
}

// Component implements Arch.
func (a *T5Arch) Component() Component { return ComponentT5 }

// minT5BlockTensors is the fewest tensors a umt5 encoder block has: two
// norms, q/k/v/o and the FFN's fc1 and fc2 (plus its gate, not counted).
const minT5BlockTensors = 2 + 4 + 2

// InferT5 reads the encoder architecture off the tensor shapes. Errors are
// *PlanError values listing every problem.
func InferT5(src []tensor.Info) (*T5Arch, error) {
	f := &inferer{inv: newInventory(src)}
	a := &T5Arch{}
	a.Vocab = f.dim("vocab", anchor{"token_embedding.weight", 2, 0})
	a.Dim = f.dim("dim", anchor{"token_embedding.weight", 2, 1}, anchor{"norm.weight", 1, 0},
		anchor{"blocks.#.norm1.weight", 1, 0})
	a.DimAttn = f.dim("dim_attn", anchor{"blocks.#.attn.q|k|v.weight", 2, 0}, anchor{"blocks.#.attn.o.weight", 2, 1})
	a.DimFFN = f.dim("dim_ffn", anchor{"blocks.#.ffn.fc1.weight", 2, 0}, anchor{"blocks.#.ffn.gate.0.weight", 2, 0},
		anchor{"blocks.#.ffn.fc2.weight", 2, 1})
	a.NumLayers = f.count("blocks", minT5BlockTensors)
	if len(f.inv.indices("blocks")) == 0 {
		f.fail("", "no encoder blocks (blocks.N.*) found")
	}
	// The relative position embedding is (num_buckets, num_heads); with
	// shared_pos it lives on the encoder, otherwise in every block (which
	// wins when both are present: the encoder-level one is then unexpected).
	a.SharedPos = f.inv.has("pos_embedding.embedding.weight") && !f.inv.has("blocks.#.pos_embedding.embedding.weight")
	a.NumBuckets = f.dim("num_buckets", anchor{"blocks.#.pos_embedding.embedding.weight", 2, 0},
		anchor{"pos_embedding.embedding.weight", 2, 0})
	a.NumHeads = f.dim("num_heads", anchor{"blocks.#.pos_embedding.embedding.weight", 2, 1},
		anchor{"pos_embedding.embedding.weight", 2, 1})
	if a.NumHeads > 0 && a.DimAttn%a.NumHeads != 0 {
		f.fail("", "dim_attn %d is not divisible by num_heads %d", a.DimAttn, a.NumHeads)
	}
	if err := f.err(ComponentT5); err != nil {
		return a, err
	}
	return a, nil
}

// RequiredTorch implements Arch.
func (a *T5Arch) RequiredTorch() []tensor.Info {
	var r reqList
	r.add("token_embedding.weight", a.Vocab, a.Dim)
	if a.SharedPos {
		r.add("pos_embedding.embedding.weight", a.NumBuckets, a.NumHeads)
	}
	for i := 0; i < a.NumLayers; i++ {
		b := fmt.Sprintf("blocks.%d.", i)
		r.add(b+"norm1.weight", a.Dim)
		r.add(b+"attn.q.weight", a.DimAttn, a.Dim)
		r.add(b+"attn.k.weight", a.DimAttn, a.Dim)
		r.add(b+"attn.v.weight", a.DimAttn, a.Dim)
		r.add(b+"attn.o.weight", a.Dim, a.DimAttn)
		r.add(b+"norm2.weight", a.Dim)
		r.add(b+"ffn.gate.0.weight", a.DimFFN, a.Dim)
		r.add(b+"ffn.fc1.weight", a.DimFFN, a.Dim)
		r.add(b+"ffn.fc2.weight", a.Dim, a.DimFFN)
		if !a.SharedPos {
			r.add(b+"pos_embedding.embedding.weight", a.NumBuckets, a.NumHeads)
		}
	}
	r.add("norm.weight", a.Dim)
	return r.sorted()
}

// RequiredMLX implements Arch.
func (a *T5Arch) RequiredMLX() []tensor.Info { return requiredMLX(ComponentT5, a.RequiredTorch()) }
