package safefs

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// OpenRegular opens a file named by the user (symbolic links are followed:
// the user chose the path) only if it is a regular file. It never blocks.
func OpenRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(path, fi.Mode())
	}
	f, err := os.OpenFile(path, readFlags, 0)
	if err != nil {
		return nil, err
	}
	if err := sameRegular(f, path, fi); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// sameRegular checks with fstat that f is the regular file fi described.
func sameRegular(f *os.File, path string, fi fs.FileInfo) error {
	got, err := f.Stat()
	if err != nil {
		return err
	}
	if !got.Mode().IsRegular() {
		return notRegular(path, got.Mode())
	}
	if !os.SameFile(fi, got) {
		return &Error{Path: path, Err: ErrChanged}
	}
	return nil
}

// ReadFile reads a regular file named by the user, refusing one larger
// than max bytes before reading it.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, path, max)
}

// readCapped reads an opened regular file of at most max bytes; a file that
// grows past max while being read is refused too.
func readCapped(f *os.File, path string, max int64) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > max {
		return nil, &Error{Path: path, Err: ErrTooLarge, Detail: fmt.Sprintf("%d bytes, at most %d read", fi.Size(), max)}
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > max {
		return nil, &Error{Path: path, Err: ErrTooLarge, Detail: fmt.Sprintf("more than %d bytes", max)}
	}
	return b, nil
}
