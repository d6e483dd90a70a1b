// Package verify is wanconv's CI gate for converted MLX checkpoints.
//
// A verification runs per component (DiT, T5 encoder, VAE), one at a time so a
// full-size release fits a 24 GB machine:
//
//  1. Structural checks (pure Go, header and data scans): the manifest's
//     checksums, every tensor the inferred architecture needs present with the
//     right shape and dtype and nothing extra, no NaN/Inf, parameter and tensor
//     counts against the golden file.
//  2. Forward passes on MLX (build tag mlx) with deterministic inputs from the
//     model packages' documented generators; output statistics (min, max,
//     mean, std, mean |x|) are compared with the golden file's, within the
//     golden file's stated tolerance.
//  3. With a reference file (the format of the upstream reference tensors),
//     the recorded upstream inputs are run and the outputs compared element by
//     element: max |err| and max |err| / std(reference).
//
// A quantized DiT is checked as the dense weights its Linears stand for,
// plus the consistency of its scales, biases and packed codes and, with
// --source, their re-quantization from the release; its forward pass runs
// MLX's quantized matmul, beside a dequantized run (quantized.go).
//
// Exit codes: 0 pass, 1 mismatch (a check failed), 2 bad input or usage.
package verify
