package layout

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/mapping"
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
	t, err := OpenTree(dir)
	if err != nil {
		return nil, err
	}
	defer t.Close()
	return t.Discover()
}

// Discover is Discover of the tree's directory; every file it names is
// read through the tree, and a candidate file that is a link leading
// outside the directory is refused (naming it), not skipped.
func (t *Tree) Discover() (*Dir, error) {
	dir := t.Dir()
	fsys := t.probe()
	d, err := discover(dir, fsys)
	if perr := fsys.err(); perr != nil {
		return nil, perr
	}
	return d, err
}

func discover(dir string, fsys FS) (*Dir, error) {
	d := &Dir{Path: dir}
	if isRegularIn(fsys, ReleaseConfig) {
		d.Config = relJoin(dir, ReleaseConfig)
	}
	present := map[mapping.Component]bool{}
	kinds := map[string]bool{}
	add := func(f Found) {
		f.Path = relJoin(dir, f.Path)
		if f.Config != "" {
			if isRegularIn(fsys, f.Config) {
				f.Config = relJoin(dir, f.Config)
			} else {
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
	t, err := OpenTree(dir)
	if err != nil {
		return nil, nil, err
	}
	defer t.Close()
	d, err := t.Discover()
	if err != nil {
		return nil, nil, err
	}
	for _, f := range d.Found {
		if f.Component == c && f.Naming == mapping.NamingMLX && want(f) {
			if files, err = t.Shards(f.Path); err != nil {
				return nil, nil, err
			}
			if f.Config != "" {
				if config, err = t.ReadSmall(f.Config); err != nil {
					return nil, nil, err
				}
			}
			return files, config, nil
		}
	}
	return nil, nil, fmt.Errorf("%s: no converted %s (none of %s)", dir, c, strings.Join(Wanconv.Candidates(c), ", "))
}
