// Package dit runs the Wan2.2 diffusion transformer (upstream WanModel,
// model types "ti2v", "t2v" and "i2v": TI2V-5B and the experts of T2V-A14B
// and I2V-A14B) on MLX, from weights converted by wanconv.
//
// # Architecture, options and weights
//
// The architecture is a *mapping.DiTArch: package mapping, the project's
// single source of architecture knowledge, defines its fields, defaults and
// validation. ArchFromWeights (mapping.CheckConverted) reads the sizes off
// the weights' shapes, takes model_type, num_heads, text_len and eps from
// config.json and checks the weights are exactly the required set; New fills
// in upstream's defaults for what config.json did not state, validates, and
// refuses what this package does not run (s2v, windowed attention).
// Options hold only the model's numerics. Weights
// use the converted MLX names and layouts: nn.Sequential children are
// "layers.N" (text_embedding.layers.0.weight, blocks.K.ffn.layers.2.bias, …)
// and the patch-embedding convolution is channels-last
// [dim, pt, ph, pw, in_dim]; the architecture's RequiredMLX lists every
// tensor with its shape.
//
// Ownership, the same rule in dit, t5 and vae: a successful New takes the
// weight arrays it is given. It detaches them from the caller's mlx.Do
// scope, keeps those it uses as they are, frees those it replaced by
// converted copies (float32 norms and biases, CastAtLoad weights), and Free
// releases everything the model holds. After a successful New the caller
// must neither use nor free the arrays; after a failed one they remain the
// caller's.
//
// One forward pass, for a latent x [C, F, H, W] and seq_len tokens:
//
//   - Conditioning (i2v, ForwardY): y [in_dim − C, F, H, W] (I2V-A14B: 4 mask
//     and 16 image-latent channels) is concatenated after x's channels, as
//     upstream's WanModel.forward does, before the patch embedding.
//   - Patches: a 3-D convolution with kernel = stride = patch_size over x
//     (channels-last [1, F, H, W, C]) gives F'·H'·W' tokens ordered (f, h, w),
//     zero-padded to seq_len rows.
//   - Time: each timestep's sinusoidal embedding (SinusoidalEmbedding,
//     float64 on the host, then float32) goes through Linear→SiLU→Linear (e);
//     SiLU→Linear gives the projection e0 [6, dim]. Timesteps are per token
//     ([1, seq_len], ti2v) or one for all tokens ([1], t2v, i2v). The MLPs run once
//     per distinct timestep and rows are gathered per token.
//   - Text: context [L, text_dim] is zero-padded to text_len rows and embedded
//     by Linear→GELU(tanh)→Linear; the padded rows are not masked.
//   - Each block, with (e_0 … e_5) = modulation + e0:
//     x += SelfAttn(LN(x)(1+e_1)+e_0)·e_2; x += CrossAttn(norm3(x), text);
//     x += FFN(LN(x)(1+e_4)+e_3)·e_5. LN has no affine parameters; norm3 does
//     (cross_attn_norm). q and k get an RMS norm over the whole dim before the
//     heads split. Self-attention rotates q and k (RopeTable) and masks keys of
//     padded tokens (padded queries are computed and later dropped);
//     cross-attention has neither. Scale 1/√head_dim.
//   - Head: (shift, scale) = head.modulation + e; Linear(LN(x)(1+scale)+shift),
//     padded tokens dropped, unpatchified to [out_dim, F'pt, H'ph, W'pw].
//
// # Quantized checkpoints
//
// A DiT converted with --quantize (either layout; mlx-video's, mlx-lm's
// layout of MLX-quantized weights) stores the attention and FFN Linears as
// <p>.weight uint32 codes with <p>.scales and <p>.biases
// (mapping.SplitQuantizedDiT). ArchFromWeights checks them against
// config.json's quantization entry and infers the dense architecture; New
// reads bits and group size off the shapes. Those Linears run through
// mlx.QuantizedMatmul on the stored codes (scales and biases in the compute
// dtype); Options.DequantizeLinears runs them instead as dense matmuls of
// the weights dequantized inside the forward pass, the same weights by
// another kernel. LoadStreamed streams a quantized checkpoint's blocks
// the same way, codes as stored.
//
// # Block streaming
//
// LoadStreamed keeps only the embeddings, the time projection and the head
// in memory and reads each block's tensors from a tensor.Source when a
// forward pass reaches it: read, evaluate, release. Peak memory is about one
// block's weights plus the activations whatever num_layers (an A14B expert is
// 28.6 GB in bfloat16); the output is the in-memory model's.
//
// # Precision
//
// Norms, softmax, modulation, RoPE, the time embedding, the patch embedding
// and the residual stream are float32. Options.ComputeDType, the option all
// three models share, picks the dtype of the matmuls and attention: float32
// (default; stored bfloat16 weights are widened inside the graph one block
// at a time, so memory stays near the stored size) or bfloat16 (faster, less
// accurate); other dtypes are refused. Options.CastAtLoad widens once at
// load instead (twice the memory for bfloat16 weights).
//
// # Synthetic inputs
//
// SyntheticInputs(arch, frames, h, w, ctxLen, seed) draws reproducible inputs.
// The generator is SplitMix64 seeded with seed (internal/detrand): each draw
// adds 0x9E3779B97F4A7C15 to the 64-bit state z, then
// z = (z ⊕ z>>30)·0xBF58476D1CE4E5B9, z = (z ⊕ z>>27)·0x94D049BB133111EB,
// output z ⊕ z>>31 (all mod 2⁶⁴). A uniform is (output >> 11)·2⁻⁵³ in [0, 1).
// Normals come in Box–Muller pairs: u1 = 1 − uniform, u2 = uniform,
// r = √(−2 ln u1), first r·cos(2π·u2), then r·sin(2π·u2); a pair's second
// value is used by the next request, even across tensors. Values are computed
// in float64 and rounded to float32.
//
// In order: x [in_dim, frames, h, w] (row-major, in_dim·frames·h·w normals),
// then context [ctxLen, text_dim] (normals), then the timestep
// τ = ⌊1000·uniform⌋ from the next raw draw. seq_len is the token count
// (frames/pt)(h/ph)(w/pw) (no padding). For ti2v, t is [1, seq_len] with 0 for
// the tokens of the first latent frame (the conditioning image) and τ for the
// rest; for t2v and i2v, t = [τ] with shape [1]. For i2v the x draws are
// split: the first out_dim channels are x, the remaining in_dim − out_dim
// are y.
//
// # MLX
//
// The MLX parts build with the "mlx" tag; without it only the host-side
// parts (architecture checks, options, RoPE tables, timestep embedding,
// synthetic inputs) compile. Forward must run inside mlx.Do; each block is built inside
// mlx.Scoped so that its intermediates are released.
package dit
