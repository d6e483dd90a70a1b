package verify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
)

func TestStructuralPassOnFreshConversion(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	code, stdout, _ := runVerify(t, Options{Dir: out, Structural: true, JSON: true})
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

	code, stdout, _ := runVerify(t, Options{Dir: out, Structural: true, Components: []mapping.Component{mapping.ComponentVAE}})
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
	code, stdout, _ := runVerify(t, Options{Dir: out, Structural: true, Components: []mapping.Component{mapping.ComponentT5}})
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
	code, stdout, _ := runVerify(t, Options{Dir: out, Structural: true, Components: []mapping.Component{mapping.ComponentDiT}})
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
	code, stdout, _ := runVerify(t, Options{Dir: out, Structural: true, Components: []mapping.Component{mapping.ComponentT5}})
	require.Equal(t, ExitMismatch, code, stdout)
	require.Contains(t, stdout, "NaN/Inf in "+victim+" (1 values)")
}

func TestGoldenCountsGate(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	rec := filepath.Join(t.TempDir(), "g.json")
	code, stdout, _ := runVerify(t, Options{Dir: out, Structural: true, RecordGolden: rec})
	require.Equal(t, ExitPass, code, stdout)
	code, stdout, _ = runVerify(t, Options{Dir: out, Structural: true, GoldenPath: rec})
	require.Equal(t, ExitPass, code, stdout)

	g, err := LoadGolden(rec)
	require.NoError(t, err)
	g.Components["vae"].ParamCount++
	require.NoError(t, g.Save(rec))
	code, stdout, _ = runVerify(t, Options{Dir: out, Structural: true, GoldenPath: rec})
	require.Equal(t, ExitMismatch, code, stdout)
	require.Contains(t, stdout, "golden.param_count")

	// The TI2V-5B golden rejects the tiny checkpoint on counts and architecture.
	code, stdout, _ = runVerify(t, Options{Dir: out, Structural: true, GoldenPath: golden.TI2V5BGolden()})
	require.Equal(t, ExitMismatch, code)
	require.Contains(t, stdout, "golden.arch")
}

// TestBadInputExitsTwo: a missing directory, an unreadable golden file and
// a directory holding no converted component are bad input (exit 2), the
// report's error naming the file. Bad flags and options:
// cmd/internal/verifycli's TestBadUsage and TestValidate.
func TestBadInputExitsTwo(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	empty := t.TempDir()
	for name, c := range map[string]struct {
		o    Options
		want string
	}{
		"missing dir":   {Options{Dir: missing, Structural: true}, missing + ": no such file or directory"},
		"bad golden":    {Options{Dir: ".", Structural: true, GoldenPath: "verify.go"}, "verify.go: "},
		"not converted": {Options{Dir: empty, Structural: true}, empty + ": not a converted directory"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, errMsg := runVerify(t, c.o)
			require.Equal(t, ExitBadInput, code, stdout)
			require.Contains(t, errMsg, c.want)
			require.Contains(t, stdout, c.want, "the text report shows the error")
		})
	}
}

func TestNoGoldenFromAFailingCheckpoint(t *testing.T) {
	out := convertTiny(t, "bfloat16")
	// A manifest that lists no file: every component fails its checksum check.
	require.NoError(t, os.WriteFile(filepath.Join(out, ManifestName), []byte(`{"files": []}`), 0o644))
	rec := filepath.Join(t.TempDir(), "g.json")
	code, stdout, _ := runVerify(t, Options{Dir: out, Structural: true, RecordGolden: rec})
	require.Equal(t, ExitBadInput, code)
	require.Contains(t, stdout, "golden file not written")
	require.NoFileExists(t, rec)
}
