package convert

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// expectedOutputs is the file list of a converted tiny release (one DiT file).
var expectedOutputs = []string{
	"config.json", "configuration.json", "google", "google/umt5-xxl", "google/umt5-xxl/special_tokens_map.json",
	"t5_encoder_mlx.safetensors", "vae_mlx.safetensors", "wan_model_mlx.safetensors",
	"wan_model_mlx.safetensors.index.json", "wanconv-manifest.json",
}

func TestConvertKeepIsBitExact(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	sum, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, DType: "keep"})
	require.NoError(t, err)
	require.Equal(t, 287, sum.Tensors)
	require.Equal(t, expectedOutputs, treeFiles(t, out))

	src := readRelease(t, tinyDir)
	got := readConverted(t, out)
	var permuted, squeezed int
	for _, c := range mapping.Components {
		require.Len(t, got[c], len(src[c]), "component %s", c)
		for name, s := range src[c] {
			target := mapping.TargetName(c, name)
			o, ok := got[c][target]
			require.True(t, ok, "%s: %s (from %s) missing", c, target, name)
			require.Equal(t, s.info.DType, o.info.DType, target)
			in, sh := s.info.Shape, o.info.Shape
			switch {
			case slices.Equal(in, sh):
				require.Equal(t, s.data, o.data, target)
			case len(sh) == 1 && sh[0] == in[0] && s.info.NumElements() == in[0]:
				squeezed++
				require.Equal(t, s.data, o.data, target)
			default:
				want := append(append([]int64{in[0]}, in[2:]...), in[1])
				require.Equal(t, want, sh, "%s: unexpected output shape", target)
				permuted++
				require.Equal(t, refChannelsLast(s.data, in, s.info.DType.Size()), o.data, target)
			}
		}
	}
	require.Greater(t, permuted, 10, "conv weights must have been permuted")
	require.Greater(t, squeezed, 5, "gammas must have been squeezed")
	// Spot-check a name from the team's naming rules.
	_, ok := got[mapping.ComponentDiT]["text_embedding.layers.0.weight"]
	require.True(t, ok)
	require.Equal(t, []int64{128, 1, 2, 2, 48}, got[mapping.ComponentDiT]["patch_embedding.weight"].info.Shape)
}

// refRoundBF16 rounds a float32 to bfloat16 by comparing the distances to
// the two neighbouring bfloat16 values (ties to the even one).
func refRoundBF16(x float32) uint16 {
	b := math.Float32bits(x)
	if math.IsNaN(float64(x)) {
		return 0x7fc0 | uint16(b>>16)&0x8000
	}
	lo := b &^ 0xffff
	hi := lo + 0x10000
	vlo := float64(math.Float32frombits(lo))
	var vhi float64
	if (hi>>23)&0xff == 0xff { // next step is Inf: distance to 2^128
		vhi = math.Copysign(math.Ldexp(1, 128), vlo)
	} else {
		vhi = float64(math.Float32frombits(hi))
	}
	dlo, dhi := math.Abs(float64(x)-vlo), math.Abs(vhi-float64(x))
	switch {
	case dlo < dhi:
		return uint16(lo >> 16)
	case dhi < dlo:
		return uint16(hi >> 16)
	case (lo>>16)&1 == 0:
		return uint16(lo >> 16)
	default:
		return uint16(hi >> 16)
	}
}

// TestConvertDefaultPolicy: without --dtype the DiT and T5 become bfloat16
// and the VAE float32 (its source dtype here, so its bytes are unchanged).
func TestConvertDefaultPolicy(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out})
	require.NoError(t, err)
	got := readConverted(t, out)
	want := map[mapping.Component]tensor.DType{
		mapping.ComponentDiT: tensor.BF16, mapping.ComponentT5: tensor.BF16, mapping.ComponentVAE: tensor.F32}
	for c, tensors := range got {
		require.NotEmpty(t, tensors)
		for name, td := range tensors {
			require.Equal(t, want[c], td.info.DType, "%s %s", c, name)
		}
	}
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Force: true, ComponentDType: map[string]string{"vae": "bfloat16"}})
	require.NoError(t, err)
	for name, td := range readConverted(t, out)[mapping.ComponentVAE] {
		require.Equal(t, tensor.BF16, td.info.DType, name)
	}
}

func TestConvertBF16RoundsToNearestEven(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, DType: "bfloat16"})
	require.NoError(t, err)
	src := readRelease(t, tinyDir)
	got := readConverted(t, out)
	checked := 0
	for _, c := range mapping.Components {
		for name, s := range src[c] {
			o := got[c][mapping.TargetName(c, name)]
			require.Equal(t, tensor.BF16, o.info.DType, name)
			data := s.data
			if !slices.Equal(s.info.Shape, o.info.Shape) && len(o.info.Shape) > 1 {
				data = refChannelsLast(s.data, s.info.Shape, s.info.DType.Size())
			}
			if s.info.DType == tensor.BF16 {
				require.Equal(t, data, o.data, name)
				continue
			}
			require.Equal(t, tensor.F32, s.info.DType)
			for i := 0; i < len(data)/4; i++ {
				x := math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
				require.Equal(t, refRoundBF16(x), binary.LittleEndian.Uint16(o.data[2*i:]), "%s[%d] = %g", name, i, x)
				checked++
			}
		}
	}
	require.Greater(t, checked, 1_000_000)

	m, err := layout.ReadManifest(filepath.Join(out, outManifest))
	require.NoError(t, err)
	require.Equal(t, "bfloat16", m.DTypes[mapping.ComponentDiT])
	byPath := map[string]layout.ManifestEntry{}
	for _, f := range m.Files {
		byPath[f.Path] = f
	}
	vae := byPath[layout.Wanconv.VAE]
	require.Equal(t, "bfloat16", vae.DType)
	require.Equal(t, len(src[mapping.ComponentVAE]), vae.Tensors)
	st, err := os.Stat(filepath.Join(out, layout.Wanconv.VAE))
	require.NoError(t, err)
	require.Equal(t, st.Size(), vae.Bytes)
	require.Len(t, vae.SHA256, 64)
	require.Len(t, m.Sources, 8)
}

func TestConvertComponentDTypeOverrides(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, DType: "float16", ComponentDType: map[string]string{"t5": "float32", "vae": "keep"}})
	require.NoError(t, err)
	got := readConverted(t, out)
	require.Equal(t, tensor.F16, got[mapping.ComponentDiT]["head.head.weight"].info.DType)
	require.Equal(t, tensor.F32, got[mapping.ComponentT5]["token_embedding.weight"].info.DType)
	require.Equal(t, tensor.F32, got[mapping.ComponentVAE]["encoder.conv1.bias"].info.DType)

	// bf16 → f32 is exact: the T5 output widens the stored bits.
	src := readRelease(t, tinyDir)[mapping.ComponentT5]["token_embedding.weight"]
	o := got[mapping.ComponentT5]["token_embedding.weight"]
	for i := 0; i < len(src.data)/2; i++ {
		require.Equal(t, uint32(binary.LittleEndian.Uint16(src.data[2*i:]))<<16, binary.LittleEndian.Uint32(o.data[4*i:]))
	}
}

func TestConvertShardsDiT(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	const max = 300_000
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, MaxShardSize: 300_000})
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(out, layout.Wanconv.DiTIndex()))
	require.NoError(t, err)
	var idx struct {
		Metadata  map[string]int64  `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}
	require.NoError(t, json.Unmarshal(raw, &idx))
	shards, err := filepath.Glob(filepath.Join(out, "wan_model_mlx-*-of-*.safetensors"))
	require.NoError(t, err)
	require.Greater(t, len(shards), 2)
	require.NoFileExists(t, filepath.Join(out, "wan_model_mlx.safetensors"))
	var total int64
	seen := 0
	for i, s := range shards {
		require.Equal(t, filepath.Join(out, fmt.Sprintf("wan_model_mlx-%05d-of-%05d.safetensors", i+1, len(shards))), s)
		ts := readSafetensors(t, s)
		var data int64
		for name, td := range ts {
			require.Equal(t, filepath.Base(s), idx.WeightMap[name], name)
			data += int64(len(td.data))
		}
		if len(ts) > 1 {
			require.LessOrEqual(t, data, int64(max))
		}
		total += data
		seen += len(ts)
	}
	require.Equal(t, len(idx.WeightMap), seen)
	require.Equal(t, total, idx.Metadata["total_size"])
	// The sharded DiT holds the same tensors as an unsharded conversion.
	one := filepath.Join(t.TempDir(), "one")
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: one})
	require.NoError(t, err)
	require.Equal(t, readConverted(t, one)[mapping.ComponentDiT], readConverted(t, out)[mapping.ComponentDiT])
}

func TestConvertIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	for _, out := range []string{a, b} {
		_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, MaxShardSize: 1_000_000})
		require.NoError(t, err)
	}
	files := treeFiles(t, a)
	require.Equal(t, files, treeFiles(t, b))
	for _, f := range files {
		fa, err := os.ReadFile(filepath.Join(a, f))
		if err != nil { // directory
			continue
		}
		fb, err := os.ReadFile(filepath.Join(b, f))
		require.NoError(t, err)
		require.Equal(t, fa, fb, f)
	}
}

func TestConvertRefusesExistingOutputsWithoutForce(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, MaxShardSize: 300_000})
	require.NoError(t, err)
	before, err := os.ReadFile(filepath.Join(out, outManifest))
	require.NoError(t, err)

	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, DType: "float32"})
	requireInputError(t, err)
	require.ErrorContains(t, err, "--force")
	require.ErrorContains(t, err, "wanconv-manifest.json")
	after, err := os.ReadFile(filepath.Join(out, outManifest))
	require.NoError(t, err)
	require.Equal(t, before, after, "a refused run must not touch outputs")

	// With --force the old shards are replaced by a single file.
	_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Force: true, DType: "float32"})
	require.NoError(t, err)
	require.Equal(t, expectedOutputs, treeFiles(t, out))
	got := readConverted(t, out)
	require.Equal(t, tensor.F32, got[mapping.ComponentT5]["norm.weight"].info.DType)
}

// plainSource hides the SectionSource methods of a reader, forcing the
// writer's whole-tensor path.
type plainSource struct{ tensor.Source }

func TestSourcesWithoutSectionsGiveSameBytes(t *testing.T) {
	t.Parallel()
	normal := filepath.Join(t.TempDir(), "normal")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: normal})
	require.NoError(t, err)

	hide := func(_ string, s tensor.Source) tensor.Source { return plainSource{s} }
	e := withStorage(testStorage{wrapPth: hide, wrapSafetensors: hide})
	plain := filepath.Join(t.TempDir(), "plain")
	_, err = convertIn(context.Background(), Options{SrcDir: tinyDir, OutDir: plain}, e)
	require.NoError(t, err)
	for _, f := range []string{layout.Wanconv.VAE, layout.Wanconv.T5, "wan_model_mlx.safetensors", outManifest} {
		a, err := os.ReadFile(filepath.Join(normal, f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(plain, f))
		require.NoError(t, err)
		require.Equal(t, a, b, f)
	}
}
