package pth

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/internal/safefs"
)

// zipWithEntries writes a zip holding the named entries in order (names may
// repeat: archive/zip's writer does not check).
func zipWithEntries(t testing.TB, method uint16, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: method})
		require.NoError(t, err)
		_, err = w.Write([]byte(e[1]))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestDuplicateZipEntriesRefused: an archive naming data/0 or byteorder
// twice is refused, whichever copy would have won.
func TestDuplicateZipEntriesRefused(t *testing.T) {
	pkl := string(viewPickle("w", 2, 0, []int64{2}, []int64{1}))
	good := string(f32s(1, 2))
	for name, entries := range map[string][][2]string{
		"arch/data/0": {{"arch/data.pkl", pkl}, {"arch/data/0", good}, {"arch/data/0", string(f32s(3, 4))}},
		"arch/byteorder": {{"arch/data.pkl", pkl}, {"arch/byteorder", "big"}, {"arch/byteorder", "little"},
			{"arch/data/0", good}},
		"arch/data.pkl": {{"arch/data.pkl", pkl}, {"arch/data.pkl", pkl}, {"arch/data/0", good}},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dup.pth")
			require.NoError(t, os.WriteFile(path, zipWithEntries(t, zip.Store, entries...), 0o644))
			_, err := Open(path)
			require.ErrorContains(t, err, path)
			require.ErrorContains(t, err, `zip archive holds entry "`+name+`" twice`)
			requireKind(t, err, ErrZip)
		})
	}
	// the same archive without the duplicate opens and reads 1, 2
	path := filepath.Join(t.TempDir(), "ok.pth")
	require.NoError(t, os.WriteFile(path, zipWithEntries(t, zip.Store, [2]string{"arch/data.pkl", pkl}, [2]string{"arch/data/0", good}), 0o644))
	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, f32s(1, 2), readAll(t, f, "w"))
}

// TestRebuildArgumentErrorsNameTensor: malformed offset, size or stride
// arguments are reported with the tensor's state-dict name.
func TestRebuildArgumentErrorsNameTensor(t *testing.T) {
	for _, c := range []struct {
		pkl  []byte
		want string
	}{
		{viewPickle("blocks.3.w", 6, -1, []int64{2}, []int64{1}), "bad storage offset (negative: -1)"},
		{viewPickle("blocks.3.w", 6, 0, []int64{-2, 3}, []int64{3, 1}), "size: element 0 is not a non-negative int (negative: -2)"},
		{viewPickle("blocks.3.w", 6, 0, []int64{2, 3}, []int64{3, -1}), "stride: element 1 is not a non-negative int (negative: -1)"},
		{viewPickle("blocks.3.w", 6, 0, []int64{2, 3}, []int64{3}), "size has 2 dims but stride has 1"},
	} {
		path := rawZip(t, c.pkl, map[string][]byte{"data/0": iota32(6)}, zip.Store)
		_, err := Open(path)
		require.ErrorContains(t, err, `tensor "blocks.3.w": `)
		require.ErrorContains(t, err, c.want)
		require.ErrorContains(t, err, path)
		requireKind(t, err, ErrGeometry)
	}
}

func TestOpenRefusesFIFO(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no FIFOs")
	}
	path := filepath.Join(t.TempDir(), "fifo.pth")
	require.NoError(t, syscall.Mkfifo(path, 0o644))
	_, err := Open(path) // would block forever in open(2) without O_NONBLOCK
	require.ErrorIs(t, err, safefs.ErrNotRegular)
	require.ErrorContains(t, err, path)
}

// FuzzZip feeds arbitrary bytes as a zip checkpoint container (seeded with
// stored, deflated, duplicate-entry and truncated archives). Nothing may
// panic; an archive that opens has unique entry names, and its tensors read
// back within their declared sizes.
func FuzzZip(f *testing.F) {
	tensors, _, _ := viewTensors()
	var zipped bytes.Buffer
	if err := WriteZip(&zipped, "a", tensors); err != nil {
		f.Fatal(err)
	}
	pkl := string(viewPickle("w", 4, 0, []int64{2, 2}, []int64{1, 2}))
	data := string(f32s(1, 2, 3, 4))
	f.Add(zipped.Bytes())
	f.Add(zipped.Bytes()[:len(zipped.Bytes())/2])
	f.Add(zipWithEntries(f, zip.Deflate, [2]string{"a/data.pkl", pkl}, [2]string{"a/data/0", data}))
	f.Add(zipWithEntries(f, zip.Store, [2]string{"a/data.pkl", pkl}, [2]string{"a/data/0", data}, [2]string{"a/data/0", data}))
	f.Add(zipWithEntries(f, zip.Store, [2]string{"a/byteorder", "little"}, [2]string{"a/data.pkl", pkl}, [2]string{"a/data/0", data}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		pf, err := open("fuzz", bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			return
		}
		if zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw))); err == nil {
			seen := map[string]bool{}
			for _, zf := range zr.File {
				if seen[zf.Name] {
					t.Fatalf("archive with entry %q twice was accepted", zf.Name)
				}
				seen[zf.Name] = true
			}
		}
		for _, in := range pf.Tensors() {
			n := in.NumBytes()
			if n < 0 || n > maxFuzzTensorBytes {
				continue
			}
			_ = pf.ReadTensor(in.Name, make([]byte, n))
			if sec, ok, err := pf.Section(in.Name); err == nil && ok && sec.Size() != n {
				t.Fatalf("section of %s has %d bytes, want %d", in.Name, sec.Size(), n)
			}
		}
	})
}
