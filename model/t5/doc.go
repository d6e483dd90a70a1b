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
// The architecture is a *mapping.T5Arch: package mapping, the project's
// single source of architecture knowledge, defines its fields and
// validation and infers it from the weights (ArchFromWeights, through
// mapping.CheckConverted, which also checks they are exactly its required
// set); max_distance and eps are mapping's T5MaxDistance and T5Eps. Options
// hold only the numerics (ComputeDType, the option all three models share).
//
// Ownership, the same rule in dit, t5 and vae: a successful New takes the
// weight arrays it is given (the encoder uses them all as stored), detaches
// them from the caller's mlx.Do scope and frees them in Free. After a
// successful New the caller must neither use nor free them; after a failed
// one they remain the caller's.
//
// Pure-Go parts (architecture checks, options, tensor names, relative
// position buckets, synthetic tokens) build without MLX; the network itself
// needs the `mlx` build tag.
package t5
