package verify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
)

func TestStructuralPassOnFreshConversion(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	code, stdout, _ := runVerify(t, "--structural-only", "--json", out)
	require.Equal(t, ExitPass, code, stdout)
	require.Contains(t, stdout, `"problems": []`, "an empty list, never null (REPORT.md)")
	var rep Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.True(t, rep.Passed)
	require.Len(t, rep.Components, 3)
	params := map[string]int64{}
	for _, c := range rep.Components {
		params[string(c.Name)] = c.ParamCount
		require.Equal(t, map[string]int{"bfloat16": c.TensorCount}, c.DTypes)
	}
	require.Equal(t, map[string]int64{"dit": 597568, "t5": 115264, "vae": 2250772}, params)
}

func TestFlippedBytesNameTheTensor(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	path := filepath.Join(out, "vae_mlx.safetensors")
	const victim = "decoder.middle.layers.1.to_qkv.weight"
	off, _ := tensorOffset(t, path, victim)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	b := make([]byte, 2)
	_, err = f.ReadAt(b, off+6)
	require.NoError(t, err)
	b[0] ^= 0x5a
	_, err = f.WriteAt(b, off+6)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	code, stdout, _ := runVerify(t, "--structural-only", "--components", "vae", out)
	require.Equal(t, ExitMismatch, code, stdout)
	require.Contains(t, stdout, victim)
	require.Contains(t, stdout, "manifest.vae_mlx.safetensors")
}

func TestRenamedTensorIsNamed(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	path := filepath.Join(out, "t5_encoder_mlx.safetensors")
	const from, to = "blocks.1.attn.o.weight", "blocks.1.attn.out.weight"
	rewriteSafetensors(t, path, func(entries []safetensors.HeaderEntry, _ [][]byte) {
		for i := range entries {
			if entries[i].Name == from {
				entries[i].Name = to
			}
		}
	})
	code, stdout, _ := runVerify(t, "--structural-only", "--components", "t5", out)
	require.Equal(t, ExitMismatch, code, stdout)
	require.Contains(t, stdout, from)
	require.Contains(t, stdout, to)
}

func TestTransposedConvWeightIsNamed(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	path := filepath.Join(out, "wan_model_mlx.safetensors")
	const victim = "patch_embedding.weight"
	rewriteSafetensors(t, path, func(entries []safetensors.HeaderEntry, _ [][]byte) {
		for i := range entries {
			if entries[i].Name == victim {
				s := entries[i].Shape // (O, kT, kH, kW, I) back to PyTorch's (O, I, kT, kH, kW)
				entries[i].Shape = []int64{s[0], s[4], s[1], s[2], s[3]}
			}
		}
	})
	code, stdout, _ := runVerify(t, "--structural-only", "--components", "dit", out)
	require.Equal(t, ExitMismatch, code, stdout)
	require.Contains(t, stdout, victim)
	require.Contains(t, stdout, "tensors.")
}

func TestNaNIsNamed(t *testing.T) {
	out := convertTiny(t, "float32")
	path := filepath.Join(out, "t5_encoder_mlx.safetensors")
	const victim = "blocks.0.norm2.weight"
	rewriteSafetensors(t, path, func(entries []safetensors.HeaderEntry, data [][]byte) {
		for i := range entries {
			if entries[i].Name == victim {
				copy(data[i][4:8], []byte{0, 0, 0xc0, 0x7f}) // a float32 NaN
			}
		}
	})
	code, stdout, _ := runVerify(t, "--structural-only", "--components", "t5", out)
	require.Equal(t, ExitMismatch, code, stdout)
	require.Contains(t, stdout, "NaN/Inf in "+victim+" (1 values)")
}

func TestGoldenCountsGate(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	rec := filepath.Join(t.TempDir(), "g.json")
	code, stdout, _ := runVerify(t, "--structural-only", "--record-golden", rec, out)
	require.Equal(t, ExitPass, code, stdout)
	code, stdout, _ = runVerify(t, "--structural-only", "--golden", rec, out)
	require.Equal(t, ExitPass, code, stdout)

	g, err := LoadGolden(rec)
	require.NoError(t, err)
	g.Components["vae"].ParamCount++
	require.NoError(t, g.Save(rec))
	code, stdout, _ = runVerify(t, "--structural-only", "--golden", rec, out)
	require.Equal(t, ExitMismatch, code, stdout)
	require.Contains(t, stdout, "golden.param_count")

	// The TI2V-5B golden rejects the tiny checkpoint on counts and architecture.
	code, stdout, _ = runVerify(t, "--structural-only", "--golden", golden.TI2V5BGolden(), out)
	require.Equal(t, ExitMismatch, code)
	require.Contains(t, stdout, "golden.arch")
}

func TestBadInputExitsTwo(t *testing.T) {
	cases := map[string][]string{
		"missing dir":        {"--structural-only", filepath.Join(t.TempDir(), "nope")},
		"no args":            {},
		"unknown component":  {"--components", "unet", "."},
		"bad golden":         {"--structural-only", "--golden", "verify.go", "."},
		"negative tolerance": {"--ref-tolerance", "-1", "."},
		"seed with golden":   {"--seed", "3", "--golden", "g.json", "."},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runVerify(t, args...)
			require.Equal(t, ExitBadInput, code)
			_ = stderr
		})
	}
	empty := t.TempDir()
	code, stdout, _ := runVerify(t, "--structural-only", empty)
	require.Equal(t, ExitBadInput, code)
	require.True(t, strings.Contains(stdout, "not a converted directory"), stdout)
}

func TestFlagsAfterDirectory(t *testing.T) {
	out := convertTiny(t, "")
	code, stdout, _ := runVerify(t, out, "--structural-only", "--components", "t5")
	require.Equal(t, ExitPass, code, stdout)
	require.Contains(t, stdout, "[T5] PASS")
	require.NotContains(t, stdout, "[DIT]")
	code, _, _ = runVerify(t, out, out, "--structural-only")
	require.Equal(t, ExitBadInput, code)
}

func TestNoGoldenFromAFailingCheckpoint(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	// A manifest that lists no file: every component fails its checksum check.
	require.NoError(t, os.WriteFile(filepath.Join(out, ManifestName), []byte(`{"files": []}`), 0o644))
	rec := filepath.Join(t.TempDir(), "g.json")
	code, stdout, _ := runVerify(t, "--structural-only", "--record-golden", rec, out)
	require.Equal(t, ExitBadInput, code)
	require.Contains(t, stdout, "golden file not written")
	require.NoFileExists(t, rec)
}
