package layout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// Kinds of directory Discover recognises.
const (
	KindRelease   = "release"   // an upstream Wan2.2 release
	KindConverted = "converted" // a converted MLX directory
	KindMixed     = "mixed"     // files of both
)

// MaxConfigSize caps config.json wherever it is read (a release's, a
// converted directory's): larger files are refused rather than read (the
// real ones are under 10 kB). The manifest has MaxManifestSize.
const MaxConfigSize = 1 << 20

// Found is one component located in a directory.
type Found struct {
	Component mapping.Component
	Naming    mapping.Naming // pytorch in a release, mlx in a converted directory
	Layout    mapping.Layout // the converted layout; "" in a release
	Path      string         // the index or the single checkpoint file
}

// Dir is what a directory holds.
type Dir struct {
	Path    string
	Kind    string
	Found   []Found             // in component order, release files first
	Missing []mapping.Component // components with no file at all
	Config  string              // config.json, "" when absent
}

// Get returns the first file found for a component.
func (d *Dir) Get(c mapping.Component) (Found, bool) {
	for _, f := range d.Found {
		if f.Component == c {
			return f, true
		}
	}
	return Found{}, false
}

// Layout is the converted layout whose files were found ("" when none).
func (d *Dir) Layout() mapping.Layout {
	for _, f := range d.Found {
		if f.Layout != "" {
			return f.Layout
		}
	}
	return ""
}

// Discover lists the components of a release or converted directory. A
// directory holding no Wan2.2 checkpoint at all is an error.
func Discover(dir string) (*Dir, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	d := &Dir{Path: dir}
	if isRegular(filepath.Join(dir, ReleaseConfig)) {
		d.Config = filepath.Join(dir, ReleaseConfig)
	}
	present := map[mapping.Component]bool{}
	kinds := map[string]bool{}
	add := func(c mapping.Component, naming mapping.Naming, layout mapping.Layout, candidates []string) {
		for _, name := range candidates {
			if p := filepath.Join(dir, name); isRegular(p) {
				d.Found = append(d.Found, Found{Component: c, Naming: naming, Layout: layout, Path: p})
				present[c] = true
				if layout == "" {
					kinds[KindRelease] = true
				} else {
					kinds[KindConverted] = true
				}
				return
			}
		}
	}
	for _, c := range mapping.Components {
		add(c, mapping.NamingPyTorch, "", ReleaseCandidates(c))
	}
	for _, l := range Layouts {
		for _, c := range mapping.Components {
			add(c, mapping.NamingMLX, l.Name, l.Candidates(c))
		}
	}
	switch {
	case len(d.Found) == 0:
		return nil, fmt.Errorf("%s: no Wan2.2 checkpoint found (expected %s or %s)", dir,
			strings.Join(lastCandidates(ReleaseCandidates), ", "), strings.Join(lastCandidates(Wanconv.Candidates), ", "))
	case len(kinds) > 1:
		d.Kind = KindMixed
	case kinds[KindRelease]:
		d.Kind = KindRelease
	default:
		d.Kind = KindConverted
	}
	for _, c := range mapping.Components {
		if !present[c] {
			d.Missing = append(d.Missing, c)
		}
	}
	return d, nil
}

func lastCandidates(of func(mapping.Component) []string) []string {
	var out []string
	for _, c := range mapping.Components {
		cs := of(c)
		out = append(out, cs[len(cs)-1])
	}
	return out
}

// Open opens a checkpoint for streaming by its file name: an index
// (".json") with its shards, a ".safetensors" file or a PyTorch ".pth"/".pt".
func Open(path string) (tensor.Source, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return safetensors.OpenIndex(path)
	case ".safetensors":
		return safetensors.Open(path)
	case ".pth", ".pt":
		return pth.Open(path)
	}
	return nil, fmt.Errorf("%s: not a checkpoint (want .safetensors, a shard index .json, .pth or .pt)", path)
}

// Shards lists the safetensors files behind a checkpoint path: the shards an
// index names (checked by the strict index parser), or the file itself.
func Shards(path string) ([]string, error) {
	if !strings.EqualFold(filepath.Ext(path), ".json") {
		return []string{path}, nil
	}
	idx, err := safetensors.ReadIndex(path)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(idx.Shards))
	for i, s := range idx.Shards {
		out[i] = filepath.Join(filepath.Dir(path), s)
	}
	return out, nil
}

// ReadSmall reads a small JSON file (config.json) through
// safefs: regular files only, never blocking on a FIFO, at most
// MaxConfigSize bytes whatever the file claims.
func ReadSmall(path string) ([]byte, error) {
	return safefs.ReadFile(path, MaxConfigSize)
}

// ReadOptional is ReadSmall that returns nil, nil for a missing file.
func ReadOptional(path string) ([]byte, error) {
	data, err := ReadSmall(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// isRegular reports whether p is (or links to) a regular file; discovery
// only names candidates, and every open goes through safefs, which decides
// about links and refuses anything but regular files.
func isRegular(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// ComponentFiles finds a component in a converted directory: the
// safetensors files that hold it (a DiT's shards, through its index) and
// config.json (nil when absent).
func ComponentFiles(dir string, c mapping.Component) (files []string, config []byte, err error) {
	d, err := Discover(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range d.Found {
		if f.Component == c && f.Naming == mapping.NamingMLX {
			if files, err = Shards(f.Path); err != nil {
				return nil, nil, err
			}
			if d.Config != "" {
				if config, err = ReadSmall(d.Config); err != nil {
					return nil, nil, err
				}
			}
			return files, config, nil
		}
	}
	return nil, nil, fmt.Errorf("%s: no converted %s (none of %s)", dir, c, strings.Join(Wanconv.Candidates(c), ", "))
}
