package safefs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// OutDir is a directory written into. Nothing inside it is followed: every
// directory on the way to a path written, renamed or removed must be a real
// directory (not a symbolic link), and the last component of a path is
// never dereferenced (a link there is renamed or removed as the link).
type OutDir struct {
	dir string // as given, for messages
	r   *os.Root
}

// OpenOutDir opens an existing directory for writing. dir itself may be a
// symbolic link: the user named it.
func OpenOutDir(dir string) (*OutDir, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &OutDir{dir: dir, r: r}, nil
}

// Close releases the directory.
func (o *OutDir) Close() error { return o.r.Close() }

// Path spells rel the way messages show it.
func (o *OutDir) Path(rel string) string { return filepath.Join(o.dir, rel) }

// checkParents makes sure no directory on the way to rel is a link or a
// non-directory; missing ones are fine (nothing to follow).
func (o *OutDir) checkParents(rel string) error {
	rel = filepath.Clean(filepath.FromSlash(rel))
	if !filepath.IsLocal(rel) {
		return &Error{Path: o.Path(rel), Err: ErrLink, Detail: "not a path inside " + o.dir}
	}
	parts := strings.Split(rel, string(filepath.Separator))
	for i := 1; i < len(parts); i++ {
		p := filepath.Join(parts[:i]...)
		fi, err := o.r.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return o.pathErr(p, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return &Error{Path: o.Path(p), Err: ErrLink, Detail: "wanconv does not write or delete through links in its output directory"}
		}
		if !fi.IsDir() {
			return &Error{Path: o.Path(p), Err: ErrLink, Detail: "expected a directory, it is " + modeName(fi.Mode())}
		}
	}
	return nil
}

// Lstat describes rel itself (a link is not followed).
func (o *OutDir) Lstat(rel string) (fs.FileInfo, error) {
	if err := o.checkParents(rel); err != nil {
		return nil, err
	}
	fi, err := o.r.Lstat(filepath.FromSlash(rel))
	if err != nil {
		return nil, o.pathErr(rel, err)
	}
	return fi, nil
}

// MkdirAll creates rel and its missing parents; existing ones must be real
// directories.
func (o *OutDir) MkdirAll(rel string) error {
	rel = filepath.Clean(filepath.FromSlash(rel))
	if err := o.checkParents(filepath.Join(rel, "x")); err != nil {
		return err
	}
	parts := strings.Split(rel, string(filepath.Separator))
	for i := 1; i <= len(parts); i++ {
		p := filepath.Join(parts[:i]...)
		err := o.r.Mkdir(p, 0o755)
		if err == nil || !errors.Is(err, fs.ErrExist) {
			if err != nil {
				return o.pathErr(p, err)
			}
			continue
		}
		fi, err := o.r.Lstat(p)
		if err != nil {
			return o.pathErr(p, err)
		}
		if !fi.IsDir() {
			return &Error{Path: o.Path(p), Err: ErrLink, Detail: "expected a directory, it is " + modeName(fi.Mode())}
		}
	}
	return nil
}

// MkdirTemp creates a new directory named prefix+random at the top level
// and returns its name.
func (o *OutDir) MkdirTemp(prefix string) (string, error) {
	for range 100 {
		var b [6]byte
		_, _ = rand.Read(b[:])
		name := prefix + hex.EncodeToString(b[:])
		err := o.r.Mkdir(name, 0o700)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", o.pathErr(name, err)
		}
	}
	return "", &fs.PathError{Op: "mkdir", Path: o.Path(prefix + "*"), Err: fs.ErrExist}
}

// Create creates a new file rel for writing (O_EXCL: an existing file or
// link there is an error, never followed).
func (o *OutDir) Create(rel string) (*os.File, error) {
	if err := o.checkParents(rel); err != nil {
		return nil, err
	}
	f, err := o.r.OpenFile(filepath.FromSlash(rel), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, o.pathErr(rel, err)
	}
	return f, nil
}

// Rename moves from to to (both relative); the link or file at from is
// moved itself, never its target.
func (o *OutDir) Rename(from, to string) error {
	if err := o.checkParents(from); err != nil {
		return err
	}
	if err := o.checkParents(to); err != nil {
		return err
	}
	if err := o.r.Rename(filepath.FromSlash(from), filepath.FromSlash(to)); err != nil {
		return &os.LinkError{Op: "rename", Old: o.Path(from), New: o.Path(to), Err: unwrapPath(err)}
	}
	return nil
}

// Remove removes the file, link or empty directory rel.
func (o *OutDir) Remove(rel string) error {
	if err := o.checkParents(rel); err != nil {
		return err
	}
	if err := o.r.Remove(filepath.FromSlash(rel)); err != nil {
		return o.pathErr(rel, err)
	}
	return nil
}

// RemoveAll removes rel and everything below it; links are removed, not
// followed. A missing rel is not an error.
func (o *OutDir) RemoveAll(rel string) error {
	if err := o.checkParents(rel); err != nil {
		return err
	}
	if err := o.r.RemoveAll(filepath.FromSlash(rel)); err != nil {
		return o.pathErr(rel, err)
	}
	return nil
}

// ReadFile reads rel, which must be a regular file (not a link), refusing
// one over max bytes.
func (o *OutDir) ReadFile(rel string, max int64) ([]byte, error) {
	fi, err := o.Lstat(rel)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, notRegular(o.Path(rel), fi.Mode())
	}
	f, err := o.r.OpenFile(filepath.FromSlash(rel), readFlags, 0)
	if err != nil {
		return nil, o.pathErr(rel, err)
	}
	defer f.Close()
	if err := sameRegular(f, o.Path(rel), fi); err != nil {
		return nil, err
	}
	return readCapped(f, o.Path(rel), max)
}

// ReadDir lists the directory rel (not followed if it is a link: an error).
func (o *OutDir) ReadDir(rel string) ([]fs.DirEntry, error) {
	fi, err := o.Lstat(rel)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &Error{Path: o.Path(rel), Err: ErrLink, Detail: "expected a directory, it is " + modeName(fi.Mode())}
	}
	d, err := o.r.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, o.pathErr(rel, err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, o.pathErr(rel, err)
	}
	return entries, nil
}

// SyncDir fsyncs the directory rel ("." for the output directory itself).
func (o *OutDir) SyncDir(rel string) error {
	d, err := o.r.Open(filepath.FromSlash(rel))
	if err != nil {
		return o.pathErr(rel, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return o.pathErr(rel, err)
	}
	return nil
}

func (o *OutDir) pathErr(rel string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		if strings.Contains(pe.Err.Error(), "escapes") {
			return &Error{Path: o.Path(rel), Err: ErrLink}
		}
		return &fs.PathError{Op: pe.Op, Path: o.Path(rel), Err: pe.Err}
	}
	return err
}

func unwrapPath(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
