package t5

import "fmt"

// Converted (MLX) tensor names. The converter keeps PyTorch names except that
// nn.Sequential children gain a "layers." segment (ffn.gate.0 →
// ffn.gate.layers.0).
const (
	nameTokenEmbedding = "token_embedding.weight"
	nameFinalNorm      = "norm.weight"
)

// blockNames are the per-block tensor names, relative to "blocks.K.".
type blockNames struct {
	Norm1, Q, K, V, O, Norm2, Gate, FC1, FC2, PosEmbedding string
}

func namesOfBlock(k int) blockNames {
	p := fmt.Sprintf("blocks.%d.", k)
	return blockNames{
		Norm1:        p + "norm1.weight",
		Q:            p + "attn.q.weight",
		K:            p + "attn.k.weight",
		V:            p + "attn.v.weight",
		O:            p + "attn.o.weight",
		Norm2:        p + "norm2.weight",
		Gate:         p + "ffn.gate.layers.0.weight",
		FC1:          p + "ffn.fc1.weight",
		FC2:          p + "ffn.fc2.weight",
		PosEmbedding: p + "pos_embedding.embedding.weight",
	}
}
