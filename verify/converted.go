package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wanconv/wanconv/format/safetensors"
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
	Manifest *layout.ManifestDoc // nil when the directory has none
	Config   []byte              // the top-level config.json (mlx-video's; a single DiT's)
	Release  mapping.ReleaseKind
	found    map[unit]layout.Found
	configs  map[unit][]byte // each DiT's config.json
	dits     []unit          // the single DiT, or both experts
}

func openConverted(dir string) (*convertedDir, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("converted directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	d := &convertedDir{Path: dir, found: map[unit]layout.Found{}, configs: map[unit][]byte{}}
	if d.Config, err = layout.ReadOptional(filepath.Join(dir, layout.Config)); err != nil {
		return nil, err
	}
	m, err := layout.ReadManifest(filepath.Join(dir, ManifestName))
	switch {
	case err == nil:
		d.Manifest = m
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	found, err := layout.Discover(dir)
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
		if f.Component != mapping.ComponentDiT {
			continue
		}
		d.dits = append(d.dits, u)
		if f.Config != "" {
			if d.configs[u], err = layout.ReadSmall(f.Config); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

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
	return safetensors.OpenAuto(f.Path)
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
	f, ok := d.found[u]
	if !ok {
		return nil, fmt.Errorf("%s: component file missing in %s", u, d.Path)
	}
	return layout.Shards(f.Path)
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
