// Package golden locates the reference data shipped with wanconv: the tiny
// Wan2.2 release produced by the upstream PyTorch modules with random
// weights, the upstream reference tensors for it, the golden files the
// verifier compares with, and the inventory of the real TI2V-5B release.
//
// The data lives beside this file, so tests of any package find it from a
// fresh clone without network access or ../shared.
package golden

import (
	"path/filepath"
	"runtime"
)

// Dir is the absolute path of the golden/ folder.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "golden"
	}
	return filepath.Dir(file)
}

// TinyRelease is the tiny Wan2.2 release directory (2-shard float32 DiT,
// bfloat16 T5 .pth, float32 VAE .pth).
func TinyRelease() string { return filepath.Join(Dir(), "wan2.2-tiny") }

// TinyReference is the upstream reference tensors for the tiny release.
func TinyReference() string {
	return filepath.Join(Dir(), "wan2.2-tiny.reference", "reference.safetensors")
}

// TinyFacts is golden.json of the tiny release: configs, parameter counts,
// output statistics, seq_len and the VAE latent constants.
func TinyFacts() string { return filepath.Join(Dir(), "wan2.2-tiny.reference", "golden.json") }

// TinyGolden is the verifier's golden file for the tiny release converted
// with the default dtype (recorded with `--record-golden`).
func TinyGolden() string { return filepath.Join(Dir(), "tiny.golden.json") }

// TI2V5BGolden is the verifier's golden file with the structural facts of
// the real TI2V-5B release (counts and architectures; no forward statistics).
func TI2V5BGolden() string { return filepath.Join(Dir(), "ti2v-5b.golden.json") }

// TI2V5BInventory lists every tensor name and shape of the real release.
func TI2V5BInventory() string { return filepath.Join(Dir(), "wan2.2-ti2v-5b.inventory.json") }

// A14B names one of the tiny A14B-shaped releases: "t2v" or "i2v".
type A14B string

// The two tiny A14B releases.
const (
	T2VA14B A14B = "t2v"
	I2VA14B A14B = "i2v"
)

// TinyA14BRelease is a tiny A14B-shaped release directory: high_noise_model/
// and low_noise_model/ (2-shard float32 DiTs, dim 128, 2 layers; in_dim 16 for
// t2v, 36 for i2v), a bfloat16 umt5 .pth and a float32 Wan2.1 VAE .pth (dim 16,
// z_dim 16).
func TinyA14BRelease(k A14B) string { return filepath.Join(Dir(), "wan2.2-tiny-"+string(k)+"-a14b") }

// TinyA14BReference is the upstream reference tensors of a tiny A14B release
// (dit.input.x|context[|y], high|low.input.t -> high|low.output, t5.*, vae.*).
func TinyA14BReference(k A14B) string {
	return filepath.Join(Dir(), "wan2.2-tiny-"+string(k)+"-a14b.reference", "reference.safetensors")
}

// TinyA14BFacts is golden.json of a tiny A14B release: experts (counts,
// timestep, output statistics), dit.config, dit.seq_len, the VAE config with
// its 16 latent means and stds.
func TinyA14BFacts(k A14B) string {
	return filepath.Join(Dir(), "wan2.2-tiny-"+string(k)+"-a14b.reference", "golden.json")
}

// TinyA14BGolden is the verifier's golden file for a tiny A14B release
// converted with the default dtypes (recorded with `--record-golden`, see
// `make golden`): both experts, the T5 and the Wan2.1 VAE.
func TinyA14BGolden(k A14B) string {
	return filepath.Join(Dir(), "tiny-"+string(k)+"-a14b.golden.json")
}

// A14BInventory lists every tensor name and shape of the real A14B releases:
// dit_t2v_a14b, dit_i2v_a14b and vae2_1, with parameter and tensor counts.
func A14BInventory() string { return filepath.Join(Dir(), "wan2.2-a14b.inventory.json") }
