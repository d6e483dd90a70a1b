package synth

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/convert"
	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
	"github.com/x448/float16"
)

var realInventory = golden.TI2V5BInventory()

func TestLoadRealInventory(t *testing.T) {
	inv, err := LoadInventory(realInventory)
	require.NoError(t, err)
	require.Equal(t, 825, len(inv.DiT.Tensors))
	require.Equal(t, int64(4999787712), inv.DiT.ParamCount)
	dt, err := inv.T5.DType()
	require.NoError(t, err)
	require.Equal(t, tensor.BF16, dt)
	dt, err = inv.VAE.DType()
	require.NoError(t, err)
	require.Equal(t, tensor.F32, dt)
}

// TestSparseScaledReleasePlans writes the real layout (first two blocks)
// as holes and checks the readers and the mapping accept every component.
func TestSparseScaledReleasePlans(t *testing.T) {
	inv, err := LoadInventory(realInventory)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, WriteRelease(dir, inv, Options{Sparse: true, Scale: 2}))

	dit, err := safetensors.OpenIndex(filepath.Join(dir, ditIndexName))
	require.NoError(t, err)
	defer dit.Close()
	require.Len(t, dit.Shards(), 3)
	cfg, err := os.ReadFile(filepath.Join(dir, "config.json"))
	require.NoError(t, err)
	plan, err := mapping.PlanComponent(mapping.ComponentDiT, dit.Tensors(), cfg)
	require.NoError(t, err)
	require.Equal(t, 15+2*27, len(plan.Entries)) // 15 outside the blocks, 27 per block

	for _, name := range []string{t5Name, vaeName} {
		f, err := pth.Open(filepath.Join(dir, name))
		require.NoError(t, err, name)
		c := mapping.ComponentT5
		if name == vaeName {
			c = mapping.ComponentVAE
		}
		_, err = mapping.PlanComponent(c, f.Tensors(), nil)
		require.NoError(t, err, name)
		require.NoError(t, f.Close())
	}
	// Full-size files, almost no blocks on disk.
	var size, used int64
	for _, name := range []string{t5Name, vaeName} {
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		size += st.Size()
		used += st.Sys().(*syscall.Stat_t).Blocks * 512
	}
	require.Greater(t, size, int64(4_500_000_000))
	require.Less(t, used, int64(50_000_000))
}

// tinyInventory describes the golden tiny release, so a filled synthetic
// copy of it can be converted.
func tinyInventory(t *testing.T) (Inventory, map[string]any) {
	dir := golden.TinyRelease()
	comp := func(src tensor.Source, dt string) Component {
		var c Component
		c.StorageDType = dt
		for _, in := range src.Tensors() {
			c.Tensors = append(c.Tensors, Tensor{Name: in.Name, Shape: in.Shape})
			c.ParamCount += in.NumElements()
		}
		c.TensorCount = len(c.Tensors)
		return c
	}
	dit, err := safetensors.OpenIndex(filepath.Join(dir, ditIndexName))
	require.NoError(t, err)
	defer dit.Close()
	t5, err := pth.Open(filepath.Join(dir, t5Name))
	require.NoError(t, err)
	defer t5.Close()
	vae, err := pth.Open(filepath.Join(dir, vaeName))
	require.NoError(t, err)
	defer vae.Close()
	cfg := map[string]any{"dim": 128, "eps": 1e-06, "ffn_dim": 256, "freq_dim": 64, "in_dim": 48,
		"model_type": "ti2v", "num_heads": 4, "num_layers": 2, "out_dim": 48, "text_len": 32}
	return Inventory{DiT: comp(dit, "float32"), T5: comp(t5, "bfloat16"), VAE: comp(vae, "float32")}, cfg
}

func TestFilledReleaseIsDeterministicAndConverts(t *testing.T) {
	inv, cfg := tinyInventory(t)
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	require.NoError(t, WriteRelease(a, inv, Options{Seed: 7, Config: cfg}))
	require.NoError(t, WriteRelease(b, inv, Options{Seed: 7, Config: cfg}))
	require.NoError(t, WriteRelease(c, inv, Options{Seed: 8, Config: cfg}))
	for _, name := range []string{t5Name, vaeName, "diffusion_pytorch_model-00002-of-00003.safetensors"} {
		fa, err := os.ReadFile(filepath.Join(a, name))
		require.NoError(t, err)
		fb, err := os.ReadFile(filepath.Join(b, name))
		require.NoError(t, err)
		fc, err := os.ReadFile(filepath.Join(c, name))
		require.NoError(t, err)
		require.True(t, bytes.Equal(fa, fb), "%s differs between equal seeds", name)
		require.False(t, bytes.Equal(fa, fc), "%s equal across seeds", name)
	}

	// Values are small finite floats.
	f, err := pth.Open(filepath.Join(a, vaeName))
	require.NoError(t, err)
	defer f.Close()
	in, ok := f.Lookup("encoder.conv1.weight")
	require.True(t, ok)
	buf := make([]byte, in.NumBytes())
	require.NoError(t, f.ReadTensor(in.Name, buf))
	for i := 0; i < len(buf); i += 4 {
		v := math.Abs(float64(math.Float32frombits(binary.LittleEndian.Uint32(buf[i:]))))
		require.True(t, v >= 1.0/256 && v < 1, "value %g out of range", v)
	}
	for _, dt := range []tensor.DType{tensor.BF16, tensor.F16} {
		b := make([]byte, 1000)
		newFiller(3, "x").block(b, dt)
		for i := 0; i < len(b); i += 2 {
			h := binary.LittleEndian.Uint16(b[i:])
			var v float64
			if dt == tensor.BF16 {
				v = float64(math.Float32frombits(uint32(h) << 16))
			} else {
				v = float64(float16.Frombits(h).Float32())
			}
			require.True(t, math.Abs(v) >= 1.0/256 && math.Abs(v) < 1, "%s value %g out of range", dt, v)
		}
	}

	out := filepath.Join(t.TempDir(), "out")
	sum, err := convert.Convert(context.Background(), convert.Options{SrcDir: a, OutDir: out, DType: "bfloat16"})
	require.NoError(t, err)
	require.Equal(t, 287, sum.Tensors)
	require.Empty(t, sum.Warnings)
}
