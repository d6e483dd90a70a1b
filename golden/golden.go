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
