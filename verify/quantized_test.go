package verify

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// convertTinyQuantized converts the tiny release with a quantized DiT.
func convertTinyQuantized(t *testing.T, l string, bits, group int) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "q")
	_, err := convert.Convert(context.Background(), convert.Options{
		SrcDir: golden.TinyRelease(), OutDir: out, Layout: l, Quiet: true, Quantize: bits, GroupSize: group})
	require.NoError(t, err)
	return out
}

func reportOf(t *testing.T, stdout string) Report {
	t.Helper()
	var rep Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep), stdout)
	return rep
}

// checkNamed returns the detail of the named check, failing when absent.
func checkNamed(t *testing.T, c *ComponentReport, name string) Check {
	t.Helper()
	for _, ch := range c.Checks {
		if ch.Name == name {
			return ch
		}
	}
	t.Fatalf("no check %s in %+v", name, c.Checks)
	return Check{}
}

// A quantized DiT in either layout passes with the dense checkpoint's
// counts and architecture (the tiny golden file's) and the quantization
// reported; --source re-quantizes every Linear identically.
func TestQuantizedStructural(t *testing.T) {
	for _, l := range []string{"wanconv", "mlx-video"} {
		out := convertTinyQuantized(t, l, 8, 32)
		o := Options{Dir: out, Structural: true, JSON: true, Components: []mapping.Component{mapping.ComponentDiT}, Source: golden.TinyRelease()}
		if l == "wanconv" {
			o.GoldenPath = golden.TinyGolden()
		}
		code, stdout, stderr := runVerify(t, o)
		require.Equal(t, ExitPass, code, stdout+stderr)
		c := reportOf(t, stdout).Components[0]
		require.Equal(t, &QuantizationReport{Bits: 8, GroupSize: 32, Linears: 20, From: "config.json"}, c.Quantization)
		require.Equal(t, int64(597568), c.ParamCount)
		require.Equal(t, 69, c.TensorCount)
		require.Equal(t, map[string]int{"bfloat16": 89, "uint32": 20}, c.DTypes)
		for _, name := range []string{"quantization.config", "quantization.consistency", "quantization.source", "tensors", "dtypes"} {
			require.True(t, checkNamed(t, c, name).Passed, "%s: %s", l, name)
		}
		require.Contains(t, checkNamed(t, c, "quantization.consistency").Detail, "12288 groups of 20 Linears")
	}
}

// packedWord locates word w of a packed tensor in its file.
type packedWord struct {
	path   string
	off    int64
	tensor string
}

// flipWord inverts every bit of one packed word in place.
func flipWord(t *testing.T, w packedWord) {
	t.Helper()
	f, err := os.OpenFile(w.path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	b := make([]byte, 4)
	_, err = f.ReadAt(b, w.off)
	require.NoError(t, err)
	binary.LittleEndian.PutUint32(b, ^binary.LittleEndian.Uint32(b))
	_, err = f.WriteAt(b, w.off)
	require.NoError(t, err)
}

// groupOf reads row 0's first group of a quantized Linear.
func groupOf(t *testing.T, path, stem string, p quant.Params) quant.Outputs {
	t.Helper()
	f, err := safetensors.Open(path)
	require.NoError(t, err)
	defer f.Close()
	read := func(name string, n int) []byte {
		info, ok := f.Lookup(name)
		require.True(t, ok, name)
		b := make([]byte, info.NumBytes())
		require.NoError(t, f.ReadTensor(name, b))
		return b[:n]
	}
	return quant.Outputs{Words: read(stem+".weight", p.GroupSize*p.Bits/8), Scales: read(stem+".scales", 2), Biases: read(stem+".biases", 2)}
}

// flipCaughtByConsistency reports whether inverting word k of a group
// makes it inconsistent (quant.CheckRows on that group alone).
func flipCaughtByConsistency(g quant.Outputs, k int, p quant.Params) bool {
	words := append([]byte(nil), g.Words...)
	binary.LittleEndian.PutUint32(words[4*k:], ^binary.LittleEndian.Uint32(words[4*k:]))
	bad, _, _ := quant.CheckRows(quant.Outputs{Words: words, Scales: g.Scales, Biases: g.Biases}, tensor.BF16, 0, 1, p.GroupSize, p)
	return bad > 0
}

// TestFlippedPackedWord: a packed word inverted in place fails
// verification with exit 1 and the tensor named: through the manifest's
// per-tensor sha256; without a manifest through --source; without either
// only when the flip moves the group's extreme codes (the consistency
// check), which this test shows both ways.
func TestFlippedPackedWord(t *testing.T) {
	p := quant.Params{Bits: 4, GroupSize: 64}
	const stem = "blocks.1.cross_attn.v"
	base := convertTinyQuantized(t, "wanconv", p.Bits, p.GroupSize)
	path := filepath.Join(base, "wan_model_mlx.safetensors")
	g := groupOf(t, path, stem, p)
	caught, missed := -1, -1
	for k := range p.GroupSize * p.Bits / 32 {
		if flipCaughtByConsistency(g, k, p) {
			caught = max(caught, k)
		} else if missed < 0 {
			missed = k
		}
	}
	require.GreaterOrEqual(t, caught, 0, "no word of the group whose flip the consistency check sees")
	require.GreaterOrEqual(t, missed, 0, "every word's flip seen: pick another group")

	for _, c := range []struct {
		name     string
		word     int
		manifest bool
		source   bool
		want     []string // in the text report; nil: passes
	}{
		{"manifest", missed, true, false, []string{"FAIL manifest.wan_model_mlx.safetensors", "changed tensors: " + stem + ".weight"}},
		{"source", missed, false, true, []string{"FAIL quantization.source", stem + ": codes (.weight) differ from the re-quantized source blocks.1.cross_attn.v.weight, first at row 0, group 0"}},
		{"consistency", caught, false, false, []string{"FAIL quantization.consistency", stem + ".weight: 1 group(s) inconsistent", "first: row 0, group 0 (columns 0 to 63)"}},
		{"unseen", missed, false, false, nil},
	} {
		out := copyDir(t, base)
		if !c.manifest {
			require.NoError(t, os.Remove(filepath.Join(out, ManifestName)))
		}
		off, _ := tensorOffset(t, filepath.Join(out, "wan_model_mlx.safetensors"), stem+".weight")
		flipWord(t, packedWord{path: filepath.Join(out, "wan_model_mlx.safetensors"), off: off + int64(4*c.word)})
		o := Options{Dir: out, Structural: true, Components: []mapping.Component{mapping.ComponentDiT}}
		if c.source {
			o.Source = golden.TinyRelease()
		}
		code, stdout, _ := runVerify(t, o)
		if c.want == nil {
			require.Equal(t, ExitPass, code, "%s: %s", c.name, stdout)
			continue
		}
		require.Equal(t, ExitMismatch, code, "%s: %s", c.name, stdout)
		for _, w := range c.want {
			require.Contains(t, stdout, w, c.name)
		}
	}
}

// copyDir copies a converted directory (flat files and the tokenizer).
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

// TestFlipDetectionRates measures, over every packed word of the tiny
// release's quantized Linears, how often the consistency check alone (no
// manifest, no --source) sees an inverted word and a single flipped bit:
// the figures the README quotes.
func TestFlipDetectionRates(t *testing.T) {
	for _, p := range []quant.Params{{Bits: 4, GroupSize: 64}, {Bits: 8, GroupSize: 64}} {
		out := convertTinyQuantized(t, "wanconv", p.Bits, p.GroupSize)
		f, err := safetensors.Open(filepath.Join(out, "wan_model_mlx.safetensors"))
		require.NoError(t, err)
		var words, wordSeen, bits, bitSeen int
		for _, info := range f.Tensors() {
			if info.DType != tensor.U32 {
				continue
			}
			stem := info.Name[:len(info.Name)-len(".weight")]
			read := func(name string) []byte {
				i, _ := f.Lookup(name)
				b := make([]byte, i.NumBytes())
				require.NoError(t, f.ReadTensor(name, b))
				return b
			}
			w, s, b := read(info.Name), read(stem+".scales"), read(stem+".biases")
			wpg := p.GroupSize * p.Bits / 32
			for gi := range len(s) / 2 {
				g := quant.Outputs{Words: append([]byte(nil), w[4*wpg*gi:4*wpg*(gi+1)]...), Scales: s[2*gi : 2*gi+2], Biases: b[2*gi : 2*gi+2]}
				bad, first, err := quant.CheckRows(g, tensor.BF16, 0, 1, p.GroupSize, p)
				require.NoError(t, err)
				require.Zero(t, bad, first)
				for k := range wpg {
					words++
					if flipCaughtByConsistency(g, k, p) {
						wordSeen++
					}
					orig := binary.LittleEndian.Uint32(g.Words[4*k:])
					for bit := range 32 {
						binary.LittleEndian.PutUint32(g.Words[4*k:], orig^1<<bit)
						bits++
						if n, _, _ := quant.CheckRows(g, tensor.BF16, 0, 1, p.GroupSize, p); n > 0 {
							bitSeen++
						}
					}
					binary.LittleEndian.PutUint32(g.Words[4*k:], orig)
				}
			}
		}
		require.NoError(t, f.Close())
		wordRate, bitRate := float64(wordSeen)/float64(words), float64(bitSeen)/float64(bits)
		t.Logf("%s: inverted word seen %d of %d (%.1f%%), single bit %d of %d (%.2f%%)",
			p, wordSeen, words, 100*wordRate, bitSeen, bits, 100*bitRate)
		// README quotes 10.3/11.4 % and 1.4/2.8 %: a changed check must update it
		require.InDelta(t, map[int]float64{4: 0.103, 8: 0.114}[p.Bits], wordRate, 0.005, fmt.Sprint(p))
		require.InDelta(t, map[int]float64{4: 0.0143, 8: 0.0278}[p.Bits], bitRate, 0.001, fmt.Sprint(p))
	}
}

// TestQuantizedA14B: both experts of an A14B release are quantized (either
// layout) and each verifies as its own unit, re-quantized from its expert
// of the release, against the dense golden file's counts.
func TestQuantizedA14B(t *testing.T) {
	for _, l := range []string{"wanconv", "mlx-video"} {
		out := filepath.Join(t.TempDir(), "q")
		_, err := convert.Convert(context.Background(), convert.Options{
			SrcDir: golden.TinyA14BRelease(golden.I2VA14B), OutDir: out, Layout: l, Quiet: true, Quantize: 4, GroupSize: 32})
		require.NoError(t, err)
		o := Options{Dir: out, Structural: true, JSON: true, Components: []mapping.Component{mapping.ComponentDiT}, Source: golden.TinyA14BRelease(golden.I2VA14B)}
		if l == "wanconv" {
			o.GoldenPath = golden.TinyA14BGolden(golden.I2VA14B)
		}
		code, stdout, stderr := runVerify(t, o)
		require.Equal(t, ExitPass, code, stdout+stderr)
		rep := reportOf(t, stdout)
		require.Len(t, rep.Components, 2)
		for _, c := range rep.Components {
			require.NotEmpty(t, c.Expert)
			require.Equal(t, &QuantizationReport{Bits: 4, GroupSize: 32, Linears: 20, From: "config.json"}, c.Quantization, "%s %s", l, c.Expert)
			require.Contains(t, checkNamed(t, c, "quantization.source").Detail, "20 Linears re-quantized")
		}
	}
}
