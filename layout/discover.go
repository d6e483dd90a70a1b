package layout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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

// ErrNoCheckpoint is Discover's error for a directory with no Wan2.2
// checkpoint file at all (errors.Is tells it from a contradictory one).
var ErrNoCheckpoint = errors.New("no Wan2.2 checkpoint found")

// MaxConfigSize caps config.json wherever it is read (a release's, a
// converted directory's): larger files are refused rather than read (the
// real ones are under 10 kB). The manifest has MaxManifestSize.
const MaxConfigSize = 1 << 20

// Found is one component located in a directory.
type Found struct {
	Component mapping.Component
	// Expert is the A14B expert a DiT is ("" for a single model and for
	// the T5 and VAE).
	Expert Expert
	Naming mapping.Naming // pytorch in a release, mlx in a converted directory
	Layout mapping.Layout // the converted layout; "" in a release
	Path   string         // the index or the single checkpoint file
	// Config is a DiT's config.json (the expert's own, or the directory's),
	// "" when absent; always "" for the T5 and VAE.
	Config string
}

// Dir is what a directory holds.
type Dir struct {
	Path string
	Kind string
	// Release is the kind of release the files make up ("" when they do not
	// tell, e.g. no DiT or no config).
	Release mapping.ReleaseKind
	Found   []Found             // in component order (experts high first), release files first
	Missing []mapping.Component // components with no file at all
	Config  string              // the top-level config.json, "" when absent
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

// DiTs lists the DiT files found: one single model, or both experts (high
// noise first), of the first naming present.
func (d *Dir) DiTs() []Found {
	var out []Found
	for _, f := range d.Found {
		if f.Component == mapping.ComponentDiT && (len(out) == 0 || f.Naming == out[0].Naming && f.Layout == out[0].Layout) {
			out = append(out, f)
		}
	}
	return out
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

// Discover lists the components of a release or converted directory and
// tells which release they make up. A directory holding no Wan2.2
// checkpoint at all is an error, and so is one whose files contradict each
// other (one A14B expert without the other, a single DiT beside experts, a
// VAE of the other release family; see DetectRelease).
func Discover(dir string) (*Dir, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	fsys := DirFS(dir)
	d := &Dir{Path: dir}
	if isRegular(filepath.Join(dir, ReleaseConfig)) {
		d.Config = filepath.Join(dir, ReleaseConfig)
	}
	present := map[mapping.Component]bool{}
	kinds := map[string]bool{}
	add := func(f Found) {
		f.Path = relJoin(dir, f.Path)
		if f.Config != "" {
			if f.Config = relJoin(dir, f.Config); !isRegular(f.Config) {
				f.Config = ""
			}
		}
		d.Found = append(d.Found, f)
		present[f.Component] = true
		if f.Layout == "" {
			kinds[KindRelease] = true
		} else {
			kinds[KindConverted] = true
		}
	}
	addFirst := func(f Found, candidates []string) {
		if p := firstRegular(fsys, candidates); p != "" {
			f.Path = p
			add(f)
		}
	}
	var kindErr []error
	if rel, err := DetectRelease(fsys); err != nil {
		kindErr = append(kindErr, err)
	} else {
		for _, dt := range rel.DiTs {
			if isRegularIn(fsys, dt.Checkpoint) {
				add(Found{Component: mapping.ComponentDiT, Expert: dt.Expert, Naming: mapping.NamingPyTorch, Path: dt.Checkpoint, Config: dt.Config})
			}
		}
		addFirst(Found{Component: mapping.ComponentT5, Naming: mapping.NamingPyTorch}, []string{rel.T5})
		addFirst(Found{Component: mapping.ComponentVAE, Naming: mapping.NamingPyTorch}, []string{rel.VAE})
		if len(d.Found) > 0 {
			d.Release = rel.Kind
		}
	}
	for _, l := range Layouts {
		dits, kind, err := detectConverted(fsys, l)
		if err != nil {
			kindErr = append(kindErr, err)
		}
		for _, dt := range dits {
			add(Found{Component: mapping.ComponentDiT, Expert: dt.Expert, Naming: mapping.NamingMLX, Layout: l.Name, Path: dt.Checkpoint, Config: dt.Config})
		}
		if len(dits) > 0 && d.Release == "" {
			d.Release = kind
		}
		for _, c := range []mapping.Component{mapping.ComponentT5, mapping.ComponentVAE} {
			addFirst(Found{Component: c, Naming: mapping.NamingMLX, Layout: l.Name}, l.Candidates(c))
		}
	}
	if len(kindErr) > 0 {
		return nil, fmt.Errorf("%s: %w", dir, errors.Join(kindErr...))
	}
	sort.SliceStable(d.Found, func(i, j int) bool {
		return componentRank(d.Found[i].Component) < componentRank(d.Found[j].Component)
	})
	switch {
	case len(d.Found) == 0:
		return nil, fmt.Errorf("%s: %w (expected %s or %s)", dir, ErrNoCheckpoint,
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

func componentRank(c mapping.Component) int {
	for i, x := range mapping.Components {
		if x == c {
			return i
		}
	}
	return len(mapping.Components)
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
// safetensors files that hold it (a DiT's shards, through its index) and,
// for the DiT, its config.json (nil when absent). For an A14B directory the
// DiT is the high-noise expert; ExpertFiles picks either.
func ComponentFiles(dir string, c mapping.Component) (files []string, config []byte, err error) {
	return componentFiles(dir, c, func(f Found) bool { return true })
}

// ExpertFiles is ComponentFiles for one expert's DiT.
func ExpertFiles(dir string, e Expert) (files []string, config []byte, err error) {
	return componentFiles(dir, mapping.ComponentDiT, func(f Found) bool { return f.Expert == e })
}

func componentFiles(dir string, c mapping.Component, want func(Found) bool) (files []string, config []byte, err error) {
	d, err := Discover(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range d.Found {
		if f.Component == c && f.Naming == mapping.NamingMLX && want(f) {
			if files, err = Shards(f.Path); err != nil {
				return nil, nil, err
			}
			if f.Config != "" {
				if config, err = ReadSmall(f.Config); err != nil {
					return nil, nil, err
				}
			}
			return files, config, nil
		}
	}
	return nil, nil, fmt.Errorf("%s: no converted %s (none of %s)", dir, c, strings.Join(Wanconv.Candidates(c), ", "))
}
