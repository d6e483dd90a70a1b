package pth

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/tensor"
)

var goldenDir = golden.TinyRelease()

func openGolden(t *testing.T, name string) *File {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	_, err := os.Stat(path)
	require.NoError(t, err, "golden fixture missing")
	f, err := Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestGoldenT5(t *testing.T) {
	f := openGolden(t, "models_t5_umt5-xxl-enc-bf16.pth")
	require.Equal(t, FormatZip, f.Format())
	infos := f.Tensors()
	require.Equal(t, int64(115264), tensor.ParamCount(infos))
	for _, in := range infos {
		require.Equal(t, tensor.BF16, in.DType, in.Name)
	}
	emb, ok := f.Lookup("token_embedding.weight")
	require.True(t, ok)
	require.Equal(t, []int64{512, 64}, emb.Shape)
	q, ok := f.Lookup("blocks.0.attn.q.weight")
	require.True(t, ok)
	require.Equal(t, []int64{64, 64}, q.Shape)
	_, ok = f.Lookup("blocks.0.pos_embedding.embedding.weight")
	require.True(t, ok)

	// Every tensor reads, in place and through ReadTensor alike, and holds
	// finite non-trivial bf16 values.
	for _, in := range infos {
		buf := make([]byte, in.NumBytes())
		require.NoError(t, f.ReadTensor(in.Name, buf))
		sec, ok, err := f.Section(in.Name)
		require.NoError(t, err)
		require.True(t, ok, in.Name)
		same := make([]byte, sec.Size())
		_, err = sec.ReadAt(same, 0)
		require.NoError(t, err)
		require.Equal(t, buf, same, in.Name)
		nonzero := 0
		for i := 0; i < len(buf); i += 2 {
			bits := uint32(binary.LittleEndian.Uint16(buf[i:])) << 16
			v := math.Float32frombits(bits)
			require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0), in.Name)
			if v != 0 {
				nonzero++
			}
		}
		require.Positive(t, nonzero, in.Name)
	}
}

// TestGoldenBytesMatchArchive checks ReadTensor against the storage bytes
// read independently through archive/zip (every fixture tensor is a whole,
// contiguous storage).
func TestGoldenBytesMatchArchive(t *testing.T) {
	name := "models_t5_umt5-xxl-enc-bf16.pth"
	f := openGolden(t, name)
	zr, err := zip.OpenReader(filepath.Join(goldenDir, name))
	require.NoError(t, err)
	defer zr.Close()
	stored := map[string]bool{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		stored[sha256Hex(b)] = true
	}
	for _, in := range f.Tensors() {
		got := readAll(t, f, in.Name)
		ok := stored[sha256Hex(got)]
		require.True(t, ok, "tensor %s matches no archive entry", in.Name)
	}
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestGoldenVAE(t *testing.T) {
	f := openGolden(t, "Wan2.2_VAE.pth")
	infos := f.Tensors()
	require.Equal(t, int64(2250772), tensor.ParamCount(infos))
	for _, in := range infos {
		require.Equal(t, tensor.F32, in.DType, in.Name)
		buf := make([]byte, in.NumBytes())
		require.NoError(t, f.ReadTensor(in.Name, buf))
	}
}
