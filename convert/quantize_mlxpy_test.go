package convert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/internal/detrand"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// These tests hold converted checkpoints against mlx.core.quantize itself,
// from the MLX Python frontend scripts/setup-mlx.sh installs
// (WANCONV_MLX_PY; `eval "$(make -s -f mk/mlx.mk mlx-env)"` sets it).

// allQuantParams is every supported bits × group size.
func allQuantParams() []quant.Params {
	var ps []quant.Params
	for _, b := range []int{4, 8} {
		for _, g := range []int{32, 64, 128} {
			ps = append(ps, quant.Params{Bits: b, GroupSize: g})
		}
	}
	return ps
}

func mlxPy(t *testing.T) string {
	t.Helper()
	py := os.Getenv("WANCONV_MLX_PY")
	if py == "" {
		t.Skip("WANCONV_MLX_PY is unset: no MLX Python frontend to compare with " +
			`(eval "$(make -s -f mk/mlx.mk mlx-env)" sets it)`)
	}
	return py
}

// runPython runs an MLX script with args and fails the test on any error.
func runPython(t *testing.T, py, script string, args ...string) {
	t.Helper()
	cmd := exec.Command("python3", append([]string{"-c", script}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+py)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "MLX Python failed (WANCONV_MLX_PY=%s):\n%s", py, msg)
}

const tinyQuantizeScript = `
import glob, json, sys
import mlx.core as mx
mx.set_default_device(mx.cpu)
src = {}
for f in sorted(glob.glob(sys.argv[1] + "/diffusion_pytorch_model-*.safetensors")):
    src.update(mx.load(f))
spec = json.load(open(sys.argv[2]))
out = {}
for key, (bits, group, dtype) in spec["cases"].items():
    for name, target in spec["names"].items():
        w = src[name].astype(getattr(mx, dtype))
        q, s, b = mx.quantize(w, group_size=group, bits=bits, mode="affine")
        stem = target[: -len(".weight")]
        out[key + "/" + target], out[key + "/" + stem + ".scales"], out[key + "/" + stem + ".biases"] = q, s, b
mx.eval(out)
mx.save_safetensors(sys.argv[3], out, metadata={"format": "mlx"})
`

// TestConvertQuantizedMatchesMLX converts the tiny release with every bits
// and group size, to bfloat16 and to float32, and requires each quantized
// Linear's three tensors to be byte for byte mlx.core.quantize of the
// release's weight cast to the DiT dtype.
func TestConvertQuantizedMatchesMLX(t *testing.T) {
	py := mlxPy(t)
	type qcase struct {
		p  quant.Params
		dt tensor.DType
	}
	var cases []qcase
	spec := map[string]any{}
	keys := map[string][3]any{}
	for _, p := range allQuantParams() {
		for _, dt := range []tensor.DType{tensor.BF16, tensor.F32} {
			c := qcase{p, dt}
			cases = append(cases, c)
			keys[fmt.Sprintf("q%d-g%d-%s", p.Bits, p.GroupSize, dt.Name())] = [3]any{p.Bits, p.GroupSize, dt.Name()}
		}
	}
	names := map[string]string{}
	for name := range readRelease(t, tinyDir)[mapping.ComponentDiT] {
		if target := mapping.TargetName(mapping.ComponentDiT, name); mapping.QuantizableDiT(target) {
			names[name] = target
		}
	}
	require.Len(t, names, 20)
	spec["cases"], spec["names"] = keys, names
	dir := t.TempDir()
	specJSON, err := json.Marshal(spec)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "spec.json"), specJSON, 0o644))
	want := filepath.Join(dir, "mlx.safetensors")
	runPython(t, py, tinyQuantizeScript, tinyDir, filepath.Join(dir, "spec.json"), want)
	mlxOut := readSafetensors(t, want)

	compared := 0
	for _, c := range cases {
		key := fmt.Sprintf("q%d-g%d-%s", c.p.Bits, c.p.GroupSize, c.dt.Name())
		out := filepath.Join(dir, key)
		require.NoError(t, convertWith(out, Options{ComponentDType: map[string]string{"dit": c.dt.Name()},
			Quantize: c.p.Bits, GroupSize: c.p.GroupSize}))
		got := readConverted(t, out)[mapping.ComponentDiT]
		for _, target := range names {
			stem := strings.TrimSuffix(target, ".weight")
			for _, part := range []string{target, stem + ".scales", stem + ".biases"} {
				m, ok := mlxOut[key+"/"+part]
				require.True(t, ok, "MLX gave no %s/%s", key, part)
				require.Equal(t, m.info.DType, got[part].info.DType, "%s: %s", key, part)
				require.Equal(t, m.info.Shape, got[part].info.Shape, "%s: %s", key, part)
				require.Equal(t, m.data, got[part].data, "%s: %s differs from mlx.core.quantize", key, part)
				compared++
			}
		}
	}
	require.Equal(t, 12*20*3, compared)
	t.Logf("%d tensors of %d conversions identical to mlx.core.quantize", compared, len(cases))
}

// Full width: one A14B-sized FFN output weight, 5120 × 13824 bfloat16
// (N(0, 0.02²) from detrand seed 5120, as in package quant's test), through
// the writer's pipeline in 8 MiB row blocks. The expected sha256 of each
// part comes from mlx.core.quantize (testdata/quant-fullwidth.json,
// recorded by scripts/record-quant-hashes.sh).
const fullWidthHashes = "testdata/quant-fullwidth.json"

const fullWidthScript = `
import hashlib, json, sys
import mlx.core as mx
mx.set_default_device(mx.cpu)
w = mx.load(sys.argv[1])["w"]
out = {}
for bits in (4, 8):
    for group in (32, 64, 128):
        parts = mx.quantize(w, group_size=group, bits=bits, mode="affine")
        mx.eval(parts)
        out["%d-bit, group size %d" % (bits, group)] = [hashlib.sha256(memoryview(p)).hexdigest() for p in parts]
json.dump(out, open(sys.argv[2], "w"), indent=2, sort_keys=True)
open(sys.argv[2], "a").write("\n")
`

func TestQuantizeFullWidthThroughWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: quantizes a 5120 × 13824 weight six times")
	}
	info := tensor.Info{Name: "blocks.0.ffn.2.weight", DType: tensor.BF16, Shape: []int64{5120, 13824}}
	src := &memSource{infos: []tensor.Info{info}, data: map[string][]byte{info.Name: fullWidthWeight(info)}}
	if os.Getenv("WANCONV_RECORD_QUANT_HASHES") == "1" {
		recordFullWidthHashes(t, info, src.data[info.Name])
	}
	raw, err := os.ReadFile(fullWidthHashes)
	require.NoError(t, err)
	var want map[string][3]string
	require.NoError(t, json.Unmarshal(raw, &want))
	require.Len(t, want, 6)
	for _, p := range allQuantParams() {
		dense := plannedTensor{part: partOf(mapping.ComponentDiT), info: info, target: "blocks.0.ffn.layers.2.weight", shape: info.Shape,
			dtype: tensor.BF16, op: layoutKeep, size: info.NumBytes()}
		pts, err := quantizedEntries(dense, mapping.LayoutWanconv, &p, "mem")
		require.NoError(t, err)
		require.Len(t, pts, 3)
		f, err := layoutFile("q.safetensors", partOf(mapping.ComponentDiT), pts)
		require.NoError(t, err)
		cp := &conversionPlan{files: []*plannedFile{f}, totalSize: f.size}
		store := &memStore{files: map[string]*memFile{}}
		written, _, err := writeTensorFiles(context.Background(), cp, sourceSet{partOf(mapping.ComponentDiT): memSectionSource{src}}, store, defaultLimits(), newProgress(nil, false, f.size))
		require.NoError(t, err)
		data := store.files["q.safetensors"].b
		for i, pt := range f.tensors {
			sum := sha256.Sum256(data[pt.offset : pt.offset+pt.size])
			require.Equal(t, want[p.String()][i], hex.EncodeToString(sum[:]), "%s: %s", p, pt.target)
			require.Equal(t, want[p.String()][i], written[0].tensorSHA256[pt.target], "%s: %s", p, pt.target)
		}
	}
}

// fullWidthWeight is the test weight's bfloat16 bytes.
func fullWidthWeight(info tensor.Info) []byte {
	g := detrand.New(5120)
	b := make([]byte, 2*info.NumElements())
	for i := range len(b) / 2 {
		u := f32ToBF16(math.Float32bits(float32(0.02 * g.Normal())))
		b[2*i], b[2*i+1] = byte(u), byte(u>>8)
	}
	return b
}

// recordFullWidthHashes rewrites fullWidthHashes from mlx.core.quantize.
func recordFullWidthHashes(t *testing.T, info tensor.Info, data []byte) {
	py := mlxPy(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "w.safetensors")
	f, err := os.Create(in)
	require.NoError(t, err)
	w, err := safetensors.NewWriter(f, []safetensors.HeaderEntry{{Name: "w", DType: info.DType, Shape: info.Shape}}, layout.OutputMetadata())
	require.NoError(t, err)
	require.NoError(t, w.WriteTensor("w", data))
	require.NoError(t, w.Finish())
	require.NoError(t, f.Close())
	abs, err := filepath.Abs(fullWidthHashes)
	require.NoError(t, err)
	runPython(t, py, fullWidthScript, in, abs)
	t.Logf("recorded %s from mlx.core.quantize", abs)
}
