package verify

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// maxGoldenJSON caps a golden file, read whole (a regular file only, see
// safefs): a huge or sparse file is refused, not read into memory.
// config.json and the manifest have their caps in package layout.
const maxGoldenJSON = 64 << 20

// writeFileAtomic writes data to a temp file beside path, fsyncs and renames.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".wanconv-tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}
