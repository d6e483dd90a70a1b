package safefs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Root is a directory whose files are read; nothing outside it is ever
// opened through it. Paths given to its methods are relative to the root
// (slash- or OS-separated), or, for OpenPath, spelled as Path spells them.
type Root struct {
	dir  string // as given, for messages
	real string // absolute, symbolic links resolved
	r    *os.Root
}

// OpenRoot opens dir (which may itself be a symbolic link: the user named it).
func OpenRoot(dir string) (*Root, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(real)
	if err != nil {
		return nil, err
	}
	return &Root{dir: dir, real: real, r: r}, nil
}

// Close releases the root.
func (r *Root) Close() error { return r.r.Close() }

// Dir is the root as given to OpenRoot.
func (r *Root) Dir() string { return r.dir }

// Real is the root's absolute path with symbolic links resolved.
func (r *Root) Real() string { return r.real }

// Path spells rel the way messages show it.
func (r *Root) Path(rel string) string { return filepath.Join(r.dir, rel) }

// rel turns a path spelled by Path back into a root-relative one.
func (r *Root) rel(path string) (string, error) {
	rel, err := filepath.Rel(r.dir, path)
	if err != nil || !filepath.IsLocal(rel) {
		return "", &Error{Path: path, Err: ErrOutsideRoot, Detail: "not inside " + r.dir}
	}
	return rel, nil
}

// resolve follows the symbolic links of rel and returns the resolved path
// relative to the root; a target outside the root is refused.
func (r *Root) resolve(rel string) (string, error) {
	rel = filepath.FromSlash(rel)
	if rel != "." && !filepath.IsLocal(rel) {
		return "", &Error{Path: r.Path(rel), Err: ErrOutsideRoot, Detail: "not a path inside " + r.dir}
	}
	real, err := filepath.EvalSymlinks(filepath.Join(r.real, rel))
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			// EvalSymlinks names the real path; name the user's.
			return "", &fs.PathError{Op: "stat", Path: r.Path(rel), Err: pe.Err}
		}
		return "", err
	}
	in, err := filepath.Rel(r.real, real)
	if err != nil || (in != "." && !filepath.IsLocal(in)) {
		return "", &Error{Path: r.Path(rel), Err: ErrOutsideRoot, Detail: "it resolves to " + real + ", outside " + r.dir}
	}
	return in, nil
}

// Stat describes the file rel names once its links are resolved (inside
// the root only).
func (r *Root) Stat(rel string) (fs.FileInfo, error) {
	in, err := r.resolve(rel)
	if err != nil {
		return nil, err
	}
	fi, err := r.r.Lstat(in)
	if err != nil {
		return nil, r.pathErr(rel, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &Error{Path: r.Path(rel), Err: ErrChanged}
	}
	return fi, nil
}

// Open opens the regular file rel names for reading. It never blocks.
func (r *Root) Open(rel string) (*os.File, error) {
	in, err := r.resolve(rel)
	if err != nil {
		return nil, err
	}
	fi, err := r.r.Lstat(in)
	if err != nil {
		return nil, r.pathErr(rel, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(r.Path(rel), fi.Mode())
	}
	f, err := r.r.OpenFile(in, readFlags, 0)
	if err != nil {
		return nil, r.pathErr(rel, err)
	}
	if err := sameRegular(f, r.Path(rel), fi); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// OpenPath is Open for a path spelled as Path spells it, so that readers
// which take paths can be handed Root.OpenPath as their opener.
func (r *Root) OpenPath(path string) (*os.File, error) {
	rel, err := r.rel(path)
	if err != nil {
		return nil, err
	}
	f, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// StatPath is Stat for a path spelled as Path spells it.
func (r *Root) StatPath(path string) (fs.FileInfo, error) {
	rel, err := r.rel(path)
	if err != nil {
		return nil, err
	}
	return r.Stat(rel)
}

// ReadFile reads the regular file rel names, refusing one over max bytes.
func (r *Root) ReadFile(rel string, max int64) ([]byte, error) {
	f, err := r.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, r.Path(rel), max)
}

func (r *Root) pathErr(rel string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if strings.Contains(pe.Err.Error(), "escapes") {
			return &Error{Path: r.Path(rel), Err: ErrOutsideRoot}
		}
		return &fs.PathError{Op: pe.Op, Path: r.Path(rel), Err: pe.Err}
	}
	return fmt.Errorf("%s: %w", r.Path(rel), err)
}
