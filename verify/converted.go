package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// ManifestName is the converter's manifest file.
const ManifestName = layout.Manifest

// convertedDir is an opened converted MLX directory.
type convertedDir struct {
	Path     string
	Manifest *layout.ManifestDoc // nil when the directory has none
	Config   []byte              // config.json (DiT heads, model type)
	found    map[mapping.Component]layout.Found
}

func openConverted(dir string) (*convertedDir, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("converted directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	d := &convertedDir{Path: dir, found: map[mapping.Component]layout.Found{}}
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
	if found, err := layout.Discover(dir); err == nil {
		for _, f := range found.Found {
			if _, seen := d.found[f.Component]; !seen && f.Naming == mapping.NamingMLX {
				d.found[f.Component] = f
			}
		}
	}
	return d, nil
}

// open opens a component's tensors (the DiT through its index when it has
// one).
func (d *convertedDir) open(component mapping.Component) (tensor.SectionSource, error) {
	f, ok := d.found[component]
	if !ok {
		return nil, fmt.Errorf("%s: component file missing (none of %s in %s)", component, d.expectedFiles([]mapping.Component{component}), d.Path)
	}
	return safetensors.OpenAuto(f.Path)
}

// layoutOf is the converted layout a component was found in.
func (d *convertedDir) layoutOf(component mapping.Component) mapping.Layout {
	if f, ok := d.found[component]; ok && f.Layout != "" {
		return f.Layout
	}
	return mapping.LayoutWanconv
}

// files lists the safetensors files holding a component (a DiT's shards).
func (d *convertedDir) files(component mapping.Component) ([]string, error) {
	f, ok := d.found[component]
	if !ok {
		return nil, fmt.Errorf("%s: component file missing in %s", component, d.Path)
	}
	return layout.Shards(f.Path)
}

// hasAnyComponent reports whether at least one of the components has its
// file: a directory with none is not a converted directory at all.
func (d *convertedDir) hasAnyComponent(components []mapping.Component) bool {
	for _, c := range components {
		if _, ok := d.found[c]; ok {
			return true
		}
	}
	return false
}

// expectedFiles names the component files, for messages.
func (d *convertedDir) expectedFiles(components []mapping.Component) string {
	var names []string
	for _, c := range components {
		for _, l := range layout.Layouts {
			names = append(names, l.Candidates(c)...)
		}
	}
	return strings.Join(names, ", ")
}

// manifestFiles lists the manifest entries of a component.
func (d *convertedDir) manifestFiles(component mapping.Component) []layout.ManifestEntry {
	if d.Manifest == nil {
		return nil
	}
	var out []layout.ManifestEntry
	for _, f := range d.Manifest.Files {
		if f.Component == component {
			out = append(out, f)
		}
	}
	return out
}
