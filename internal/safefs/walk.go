package safefs

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
)

// Limits of WalkFiles: a tree deeper or with more entries than this is
// refused rather than listed (a tokenizer folder holds a handful of files).
const (
	MaxWalkDepth   = 16
	MaxWalkEntries = 10000
)

// WalkFiles lists the regular files under the directory rel, as paths
// relative to the root spelled through rel (a linked directory keeps the
// name of its link), sorted. rel itself and directories below it may be
// symbolic links to directories inside the root; a directory reached
// twice (a link loop), a link leading outside the root, and any entry that
// is not a regular file or directory (FIFO, device, socket) are refused.
func (r *Root) WalkFiles(rel string) ([]string, error) {
	w := walker{root: r, visited: map[string]bool{}}
	if err := w.dir(filepath.FromSlash(rel), 0); err != nil {
		return nil, err
	}
	sort.Strings(w.files)
	return w.files, nil
}

type walker struct {
	root    *Root
	visited map[string]bool // resolved directories
	files   []string
	entries int
}

func (w *walker) dir(rel string, depth int) error {
	if depth > MaxWalkDepth {
		return &Error{Path: w.root.Path(rel), Err: ErrTooMany, Detail: fmt.Sprintf("deeper than %d levels", MaxWalkDepth)}
	}
	in, err := w.root.resolve(rel)
	if err != nil {
		return err
	}
	fi, err := w.root.r.Lstat(in)
	if err != nil {
		return w.root.pathErr(rel, err)
	}
	if !fi.IsDir() {
		return &Error{Path: w.root.Path(rel), Err: ErrNotRegular, Detail: "expected a directory, it is " + modeName(fi.Mode())}
	}
	if w.visited[in] {
		return &Error{Path: w.root.Path(rel), Err: ErrTooMany, Detail: "directory reached twice through symbolic links"}
	}
	w.visited[in] = true
	d, err := w.root.r.Open(in)
	if err != nil {
		return w.root.pathErr(rel, err)
	}
	names, err := d.Readdirnames(MaxWalkEntries + 1)
	d.Close()
	if err != nil && len(names) == 0 {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return w.root.pathErr(rel, err)
	}
	sort.Strings(names)
	for _, name := range names {
		w.entries++
		if w.entries > MaxWalkEntries {
			return &Error{Path: w.root.Path(rel), Err: ErrTooMany, Detail: fmt.Sprintf("more than %d entries", MaxWalkEntries)}
		}
		child := filepath.Join(rel, name)
		st, err := w.root.Stat(child)
		if err != nil {
			return err
		}
		switch {
		case st.IsDir():
			if err := w.dir(child, depth+1); err != nil {
				return err
			}
		case st.Mode().IsRegular():
			w.files = append(w.files, child)
		default:
			return notRegular(w.root.Path(child), st.Mode())
		}
	}
	return nil
}
