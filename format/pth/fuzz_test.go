package pth

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/wanconv/wanconv/tensor"
)

// maxFuzzTensorBytes bounds the tensors the fuzz target reads back.
const maxFuzzTensorBytes = 1 << 20

// FuzzUnpickle feeds arbitrary bytes to the unpickler (as a zip data.pkl
// would be) and as a whole checkpoint file. Nothing may panic; whatever
// opens must read back within its declared sizes.
func FuzzUnpickle(f *testing.F) {
	tensors, _, _ := viewTensors()
	var legacy, zipped bytes.Buffer
	if err := WriteLegacy(&legacy, tensors); err != nil {
		f.Fatal(err)
	}
	if err := WriteZip(&zipped, "a", tensors); err != nil {
		f.Fatal(err)
	}
	f.Add(legacy.Bytes())
	f.Add(zipped.Bytes())
	f.Add(viewPickle("w", 6, 1, []int64{2, 2}, []int64{1, 2}))
	for _, p := range maliciousPickles {
		f.Add(p)
	}
	if b, err := os.ReadFile(filepath.Join(goldenDir, "models_t5_umt5-xxl-enc-bf16.pth")); err == nil {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		refs := newStorageRefs()
		if obj, _, err := unpickle(bytes.NewReader(data), int64(len(data)), refs.loadZip); err == nil {
			_, _ = stateDictTensors(obj)
		}
		pf, err := open("fuzz", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
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
		_ = tensor.ParamCount(pf.Tensors())
	})
}
