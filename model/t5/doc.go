// Package t5 runs the umt5-xxl text encoder of Wan2.2 on MLX from converted
// (MLX-named) weights.
//
// The network is the encoder half of T5 as used upstream (Wan-Video/Wan2.2,
// wan/modules/t5.py, T5Encoder with shared_pos=False):
//
//	x = token_embedding[ids]
//	for each block:
//	    x += attn(rms(x))   // no 1/sqrt(d) scaling, per-block relative position bias
//	    x += ffn(rms(x))    // fc2(fc1(x) * gelu_tanh(gate(x)))
//	out = rms(x)
//
// where rms(x) = x * rsqrt(mean(x²) + 1e-6) * weight, evaluated in float32.
// Attention logits get the block's relative position bias [heads, Lq, Lk]
// (bidirectional buckets, see RelativeBucket); keys whose mask entry is 0 get
// the most negative finite float32 instead, and the softmax runs in float32.
// Every query position is computed, padded ones included, as upstream does.
//
// The architecture comes from package mapping, the project's single source
// of architecture knowledge: mapping.CheckConverted infers it from the
// weights and checks they are exactly its required set (ConfigFromWeights,
// ConfigFromTensors), and ConfigFromArch turns the T5Arch into a Config.
// Pure-Go parts (configuration, tensor names, relative
// position buckets, synthetic tokens) build without MLX; the network itself
// needs the `mlx` build tag.
package t5
