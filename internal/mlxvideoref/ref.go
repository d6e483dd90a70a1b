// Package mlxvideoref gives, for tests, the tensor names and shapes an
// mlx-video (Blaizzy/mlx-video) Wan2.2 checkpoint has, derived from the
// upstream names by the rules of issue 12 as plain string substitutions. It
// is written independently of mapping's rule tables, so that tests can hold
// the converter and the verifier against it.
package mlxvideoref

import (
	"slices"
	"strings"
)

// Name renames an upstream tensor name of component "dit", "t5", "vae" (the
// Wan2.2 VAE) or "vae2_1" (the Wan2.1 VAE, whose names mlx-video keeps)
// into mlx-video's.
func Name(component, name string) string {
	n := "." + name + "."
	sub := func(from, to string) { n = strings.ReplaceAll(n, from, to) }
	prefix := func(from, to string) {
		if strings.HasPrefix(n, from) {
			n = to + n[len(from):]
		}
	}
	switch component {
	case "dit":
		prefix(".patch_embedding.", ".patch_embedding_proj.")
		prefix(".text_embedding.0.", ".text_embedding_0.")
		prefix(".text_embedding.2.", ".text_embedding_1.")
		prefix(".time_embedding.0.", ".time_embedding_0.")
		prefix(".time_embedding.2.", ".time_embedding_1.")
		prefix(".time_projection.1.", ".time_projection.")
		if strings.HasPrefix(n, ".blocks.") {
			sub(".ffn.0.", ".ffn.fc1.")
			sub(".ffn.2.", ".ffn.fc2.")
		}
	case "t5":
		sub(".ffn.gate.0.weight.", ".ffn.gate_proj.weight.")
	case "vae":
		for _, i := range []string{"0", "2", "3", "6"} {
			sub(".residual."+i+".", ".residual.layer_"+i+".")
		}
		sub(".head.0.", ".head.layer_0.")
		sub(".head.2.", ".head.layer_2.")
		for _, p := range []string{"resample.1", "to_qkv", "proj"} {
			stem := strings.TrimSuffix(p, ".1")
			sub("."+p+".weight.", "."+stem+"_weight.")
			sub("."+p+".bias.", "."+stem+"_bias.")
		}
	}
	return n[1 : len(n)-1]
}

// Shape is the mlx-video shape of an upstream tensor: the DiT patch
// embedding flattened to (O, I·kT·kH·kW), VAE conv weights channels-last
// ((O, kT, kH, kW, I), (O, kH, kW, I)), Wan2.2 VAE RMS gammas (C,),
// everything else (the Wan2.1 VAE's gammas too: sanitize_wan_vae_weights
// transposes only 4- and 5-dimensional "weight"s) as stored.
func Shape(component, name string, shape []int64) []int64 {
	switch {
	case component == "vae2_1" && strings.Contains(name, "weight") && len(shape) >= 4:
		out := append([]int64{shape[0]}, shape[2:]...)
		return append(out, shape[1])
	case component == "dit" && name == "patch_embedding.weight" && len(shape) == 5:
		return []int64{shape[0], shape[1] * shape[2] * shape[3] * shape[4]}
	case component == "vae" && strings.HasSuffix(name, ".gamma") && len(shape) > 0:
		return []int64{shape[0]}
	case component == "vae" && strings.HasSuffix(name, "weight") && len(shape) >= 4:
		out := append([]int64{shape[0]}, shape[2:]...)
		return append(out, shape[1])
	}
	return slices.Clone(shape)
}

// PyTorchOrder is the inverse of Shape's channels-last move for a VAE conv
// weight: what a checkpoint that forgot to transpose it holds.
func PyTorchOrder(shape []int64) []int64 {
	if len(shape) < 4 {
		return slices.Clone(shape)
	}
	out := []int64{shape[0], shape[len(shape)-1]}
	return append(out, shape[1:len(shape)-1]...)
}
