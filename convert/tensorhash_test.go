package convert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestManifestTensorHashes checks every per-tensor sha256 in the manifest
// against a hash of the tensor's bytes read back through the reader, with the
// DiT split over several shards.
func TestManifestTensorHashes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	_, err := Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Quiet: true, MaxShardSize: 400_000})
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(out, "wanconv-manifest.json"))
	require.NoError(t, err)
	var m Manifest
	require.NoError(t, json.Unmarshal(b, &m))
	got := map[string]string{}
	files := 0
	for _, f := range m.Files {
		if f.Kind != "safetensors" {
			require.Empty(t, f.TensorSHA256, f.Path)
			continue
		}
		files++
		require.Len(t, f.TensorSHA256, f.Tensors, f.Path)
		for name, sum := range f.TensorSHA256 {
			got[f.Component+"/"+name] = sum
		}
	}
	require.Greater(t, files, 3, "the DiT should be sharded")
	want := map[string]string{}
	for comp, tensors := range readConverted(t, out) {
		for name, td := range tensors {
			s := sha256.Sum256(td.data)
			want[string(comp)+"/"+name] = hex.EncodeToString(s[:])
		}
	}
	require.Equal(t, want, got)
}
