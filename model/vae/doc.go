// Package vae rebuilds the video VAEs of the Wan2.2 releases on MLX from a
// converted checkpoint, and encodes and decodes videos with them: the
// Wan2.2 VAE of TI2V-5B (upstream Wan-Video/Wan2.2 wan/modules/vae2_2.py:
// WanVAE_ wrapped by Wan2_2_VAE, 2×2 patchify, 48 latent channels) and the
// Wan2.1 VAE of T2V-A14B and I2V-A14B (wan/modules/vae2_1.py: WanVAE_
// wrapped by Wan2_1_VAE, no patchify, 16 latent channels, flat level lists
// without the resampling shortcuts). Both share the causal convolution, RMS
// norm, residual, attention and resample layers; the latent normalisation
// uses each version's constants.
//
// The architecture (base widths, latent width, width multipliers, residual
// blocks per level and the temporal down/upsampling flags) is a
// *mapping.VAEArch (Wan2.2) or a *mapping.VAE21Arch (Wan2.1): package
// mapping, the project's single source of architecture knowledge, defines
// their fields and validation and infers the right one from the converted
// tensor names and shapes (ArchFromWeights, through mapping.CheckConverted,
// which also checks they are exactly its required set); New and Load build
// the matching network. Options hold only the numerics (ComputeDType, the option all three
// models share). The converted naming is the wanconv one: nn.Sequential
// children are "layers.N", Conv3d weights are (O, kT, kH, kW, I), Conv2d
// weights (O, kH, kW, I) and RMS-norm gammas (C,).
//
// Ownership, the same rule in dit, t5 and vae: a successful New takes the
// weight arrays it is given. It casts each to the compute dtype (a copy
// that the model keeps), frees the arrays it was given, and Free releases
// the copies. After a successful New the caller must neither use nor free
// the arrays; after a failed one they remain the caller's.
//
// Upstream processes video causally in chunks and so does this package:
// Encode feeds the first frame alone and then groups of four frames, Decode
// one latent frame at a time, carrying per-convolution caches of the last
// input frames between chunks exactly as upstream's feat_cache does,
// including upstream's first-chunk special cases. Activations are
// channels-last ([1, F, H, W, C]) throughout.
//
// The pure-Go parts (architecture checks, options, frame counts, the latent
// normalisation constants and SyntheticVideo) build without MLX; the network
// itself needs the mlx build tag.
package vae
