package layout

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/tensor"
)

// Tree is a directory (a release, a converted directory) whose files are
// read only through its safefs.Root: regular files only, and a symbolic
// link only when it resolves inside the directory. Paths given to its
// methods are spelled as Path spells them (as Discover's Found does).
type Tree struct {
	root *safefs.Root
	// named is a file the user named itself (OpenFileTree): opened
	// following its links, like any path the user chose; "" otherwise.
	named string
}

// OpenTree opens the directory dir (itself possibly a link: the user named
// it) for reading.
func OpenTree(dir string) (*Tree, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	root, err := safefs.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Tree{root: root}, nil
}

// OpenFileTree opens the directory of a file the user named: the file
// itself is read wherever its links lead (the user chose it), everything
// it brings along (an index's shards, the config.json beside it) only from
// inside its directory. It returns the file's path as the tree spells it.
func OpenFileTree(file string) (*Tree, string, error) {
	t, err := OpenTree(filepath.Dir(file))
	if err != nil {
		return nil, "", err
	}
	t.named = t.Path(filepath.Base(file))
	return t, t.named, nil
}

// Close releases the directory; sources opened through it stay usable.
func (t *Tree) Close() error { return t.root.Close() }

// Dir is the directory as given to OpenTree.
func (t *Tree) Dir() string { return t.root.Dir() }

// Path spells the slash- or OS-separated relative path rel.
func (t *Tree) Path(rel string) string { return t.root.Path(filepath.FromSlash(rel)) }

// Opener is the open every reader of the tree's files is given.
func (t *Tree) Opener() safetensors.Opener { return t.open }

func (t *Tree) open(path string) (*os.File, error) {
	if t.named != "" && path == t.named {
		return safefs.OpenRegular(path)
	}
	return t.root.OpenPath(path)
}

// Confined returns the refusal of a path that leads outside the tree (a
// link whose target leaves it), or nil: whether the file exists and is a
// regular one is for the open to tell.
func (t *Tree) Confined(path string) error {
	if t.named != "" && path == t.named {
		return nil
	}
	if _, err := t.root.StatPath(path); errors.Is(err, safefs.ErrOutsideRoot) {
		return err
	}
	return nil
}

// Regular reports whether path is (or links, inside the tree, to) a regular
// file; a link leading outside is an error, not an absent file.
func (t *Tree) Regular(path string) (bool, error) {
	if err := t.Confined(path); err != nil {
		return false, err
	}
	if t.named != "" && path == t.named {
		fi, err := os.Stat(path)
		return err == nil && fi.Mode().IsRegular(), nil
	}
	fi, err := t.root.StatPath(path)
	return err == nil && fi.Mode().IsRegular(), nil
}

// Open opens a checkpoint for streaming by its file name: an index
// (".json") with its shards, a ".safetensors" file or a PyTorch ".pth"/".pt".
func (t *Tree) Open(path string) (tensor.Source, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".safetensors":
		return t.OpenSafetensors(path)
	case ".pth", ".pt":
		return pth.OpenWith(t.open, path)
	}
	return nil, fmt.Errorf("%s: not a checkpoint (want .safetensors, a shard index .json, .pth or .pt)", path)
}

// OpenSafetensors opens an index (".json") with its shards, or a single
// safetensors file.
func (t *Tree) OpenSafetensors(path string) (tensor.SectionSource, error) {
	return safetensors.OpenAutoWith(t.open, path)
}

// Shards lists the safetensors files behind a checkpoint path: the shards an
// index names (checked by the strict index parser, which keeps them inside
// the index's directory), or the file itself. A listed file that is a link
// leading outside the tree is refused now, before anyone opens it.
func (t *Tree) Shards(path string) ([]string, error) {
	out := []string{path}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		idx, err := safetensors.ReadIndexWith(t.open, path)
		if err != nil {
			return nil, err
		}
		out = make([]string, len(idx.Shards))
		for i, s := range idx.Shards {
			out[i] = filepath.Join(filepath.Dir(path), s)
		}
	}
	for _, p := range out {
		if err := t.Confined(p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadSmall reads a small JSON file of the tree (config.json): a regular
// file, never blocking on a FIFO, at most MaxConfigSize bytes whatever the
// file claims.
func (t *Tree) ReadSmall(path string) ([]byte, error) { return t.read(path, MaxConfigSize) }

// ReadOptional is ReadSmall that returns nil, nil for a missing file.
func (t *Tree) ReadOptional(path string) ([]byte, error) {
	data, err := t.ReadSmall(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// ReadManifest reads and decodes the tree's manifest at path (see
// ReadManifest).
func (t *Tree) ReadManifest(path string) (*ManifestDoc, error) {
	return ReadManifestWith(t.read, path)
}

func (t *Tree) read(path string, max int64) ([]byte, error) {
	if t.named != "" && path == t.named {
		return safefs.ReadFile(path, max)
	}
	rel, err := filepath.Rel(t.Dir(), path)
	if err != nil || !filepath.IsLocal(rel) {
		return nil, &safefs.Error{Path: path, Err: safefs.ErrOutsideRoot, Detail: "not inside " + t.Dir()}
	}
	return t.root.ReadFile(rel, max)
}

// DetectRelease is DetectRelease of the tree's files; a candidate file
// that is a link leading outside the tree is refused, not taken as absent.
func (t *Tree) DetectRelease() (*Release, error) {
	p := t.probe()
	rel, err := DetectRelease(p)
	if perr := p.err(); perr != nil {
		return nil, perr
	}
	return rel, err
}

// probe is the FS discovery reads through: the tree's root, noting every
// refusal of a link leading outside it, so that such a file is reported
// rather than skipped as missing.
type probeFS struct {
	root    *safefs.Root
	refused []error
	seen    map[string]bool
}

func (t *Tree) probe() *probeFS { return &probeFS{root: t.root, seen: map[string]bool{}} }

// Stat implements FS.
func (p *probeFS) Stat(rel string) (fs.FileInfo, error) {
	fi, err := p.root.Stat(rel)
	p.note(err)
	return fi, err
}

// ReadFile implements FS.
func (p *probeFS) ReadFile(rel string, max int64) ([]byte, error) {
	b, err := p.root.ReadFile(rel, max)
	p.note(err)
	return b, err
}

func (p *probeFS) note(err error) {
	if errors.Is(err, safefs.ErrOutsideRoot) && !p.seen[err.Error()] {
		p.seen[err.Error()] = true
		p.refused = append(p.refused, err)
	}
}

func (p *probeFS) err() error { return errors.Join(p.refused...) }
