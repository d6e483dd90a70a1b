package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// ManifestName is the converter's manifest file.
const ManifestName = layout.Manifest

// convertedDir is an opened converted MLX directory.
type convertedDir struct {
	Path     string
	tree     *layout.Tree        // every file is read through it (Close releases it)
	Manifest *layout.ManifestDoc // nil when the directory has none
	Config   []byte              // the top-level config.json (mlx-video's; a single DiT's)
	Release  mapping.ReleaseKind
	found    map[unit]layout.Found
	configs  map[unit][]byte // each DiT's config.json
	dits     []unit          // the single DiT, or both experts
	shards   map[unit][]string
	shardErr map[unit]error // why a unit's files cannot be listed (reported by its checks)
}

// openConverted opens dir's tree and reads what every check needs: the
// configs, the manifest and the component files found. A file that is a
// link leading outside dir (a checkpoint, an index's shard, config.json,
// the manifest) is bad input, refused here naming it. The caller closes
// the directory.
func openConverted(dir string) (*convertedDir, error) {
	tree, err := layout.OpenTree(dir)
	if err != nil {
		return nil, fmt.Errorf("converted directory: %w", err)
	}
	d, err := readConverted(tree)
	if err != nil {
		tree.Close()
		return nil, err
	}
	return d, nil
}

func readConverted(tree *layout.Tree) (*convertedDir, error) {
	d := &convertedDir{Path: tree.Dir(), tree: tree, found: map[unit]layout.Found{}, configs: map[unit][]byte{},
		shards: map[unit][]string{}, shardErr: map[unit]error{}}
	var err error
	if d.Config, err = tree.ReadOptional(tree.Path(layout.Config)); err != nil {
		return nil, err
	}
	m, err := tree.ReadManifest(tree.Path(ManifestName))
	switch {
	case err == nil:
		d.Manifest = m
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	found, err := tree.Discover()
	switch {
	case errors.Is(err, layout.ErrNoCheckpoint):
		return d, nil // run says which files it looked for
	case err != nil:
		return nil, err
	}
	d.Release = found.Release
	for _, f := range found.Found {
		u := unit{f.Component, f.Expert}
		if _, seen := d.found[u]; seen || f.Naming != mapping.NamingMLX {
			continue
		}
		d.found[u] = f
		switch shards, err := tree.Shards(f.Path); {
		case errors.Is(err, safefs.ErrOutsideRoot):
			return nil, err
		case err != nil:
			d.shardErr[u] = err // an index that does not parse: its checks say so
		default:
			d.shards[u] = shards
		}
		if f.Component != mapping.ComponentDiT {
			continue
		}
		d.dits = append(d.dits, u)
		if f.Config != "" {
			if d.configs[u], err = tree.ReadSmall(f.Config); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// Close releases the directory.
func (d *convertedDir) Close() error { return d.tree.Close() }

// units lists what to verify for the requested components: the DiT is
// both experts of an A14B directory (those of experts, when given).
func (d *convertedDir) units(components []mapping.Component, experts []layout.Expert) []unit {
	var out []unit
	for _, c := range components {
		if c != mapping.ComponentDiT || len(d.dits) == 0 {
			out = append(out, unitOf(c))
			continue
		}
		for _, u := range d.dits {
			if len(experts) == 0 || slices.Contains(experts, u.expert) {
				out = append(out, u)
			}
		}
	}
	return out
}

// configOf is the config.json a unit's architecture reads: a DiT's own,
// else the directory's.
func (d *convertedDir) configOf(u unit) []byte {
	if c, ok := d.configs[u]; ok {
		return c
	}
	return d.Config
}

// experts is the number of DiT files: 1, or 2 for an A14B directory.
func (d *convertedDir) experts() int { return max(1, len(d.dits)) }

// open opens a unit's tensors (a DiT through its index when it has one).
func (d *convertedDir) open(u unit) (tensor.SectionSource, error) {
	f, ok := d.found[u]
	if !ok {
		return nil, fmt.Errorf("%s: component file missing (none of %s in %s)", u, d.expectedFiles([]unit{u}), d.Path)
	}
	return d.tree.OpenSafetensors(f.Path)
}

// layoutOf is the converted layout a unit was found in.
func (d *convertedDir) layoutOf(u unit) mapping.Layout {
	if f, ok := d.found[u]; ok && f.Layout != "" {
		return f.Layout
	}
	return mapping.LayoutWanconv
}

// files lists the safetensors files holding a unit (a DiT's shards).
func (d *convertedDir) files(u unit) ([]string, error) {
	if _, ok := d.found[u]; !ok {
		return nil, fmt.Errorf("%s: component file missing in %s", u, d.Path)
	}
	if err := d.shardErr[u]; err != nil {
		return nil, err
	}
	return d.shards[u], nil
}

// checkpoint is the index or single file a unit was found through.
func (d *convertedDir) checkpoint(u unit) string { return d.found[u].Path }

// hasAnyComponent reports whether at least one of the units has its file:
// a directory with none is not a converted directory at all.
func (d *convertedDir) hasAnyComponent(units []unit) bool {
	for _, u := range units {
		if _, ok := d.found[u]; ok {
			return true
		}
	}
	return false
}

// expectedFiles names the units' files, for messages.
func (d *convertedDir) expectedFiles(units []unit) string {
	var names []string
	for _, u := range units {
		for _, l := range layout.Layouts {
			names = append(names, l.ForExpert(u.expert).Candidates(u.component)...)
		}
	}
	return strings.Join(names, ", ")
}

// manifestFiles lists the manifest entries of a unit (a component, or one
// expert's DiT).
func (d *convertedDir) manifestFiles(u unit) []layout.ManifestEntry {
	if d.Manifest == nil {
		return nil
	}
	var out []layout.ManifestEntry
	for _, f := range d.Manifest.Files {
		if f.Component == u.component && f.Expert == u.expert {
			out = append(out, f)
		}
	}
	return out
}

// manifestQuantization is the quantization the manifest records (nil:
// none, or no manifest).
func (d *convertedDir) manifestQuantization() *quant.Params {
	if d.Manifest == nil || d.Manifest.Quantization == nil {
		return nil
	}
	q := d.Manifest.Quantization
	return &quant.Params{Bits: q.Bits, GroupSize: q.GroupSize}
}
