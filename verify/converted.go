package verify

import (
	"encoding/json"
	"errors"
	"fmt"
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
	Manifest *manifest // nil when the directory has none
	Config   []byte    // the top-level config.json (mlx-video's; a single DiT's)
	Release  mapping.ReleaseKind
	found    map[string]layout.Found // by unit name
	configs  map[string][]byte       // each DiT unit's config.json
	ditUnits []string                // "dit", or both experts' units
}

// manifest is the part of wanconv-manifest.json the verifier checks.
type manifest struct {
	Files []manifestFile `json:"files"`
}

type manifestFile struct {
	Path      string `json:"path"`
	Component string `json:"component"`
	Expert    string `json:"expert"`
	SHA256    string `json:"sha256"`
	Bytes     int64  `json:"bytes"`
	DType     string `json:"dtype"`
	// TensorSHA256 maps each tensor to the sha256 of its bytes, so a
	// corrupted file can be traced to the tensor.
	TensorSHA256 map[string]string `json:"tensor_sha256,omitempty"`
}

func openConverted(dir string) (*convertedDir, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("converted directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", dir)
	}
	d := &convertedDir{Path: dir, found: map[string]layout.Found{}, configs: map[string][]byte{}}
	if d.Config, err = layout.ReadOptional(filepath.Join(dir, layout.Config)); err != nil {
		return nil, err
	}
	b, err := layout.ReadOptional(filepath.Join(dir, ManifestName))
	switch {
	case err != nil:
		return nil, err
	case b != nil:
		var m manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
		}
		d.Manifest = &m
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
		name := unitName(string(f.Component), f.Expert)
		if _, seen := d.found[name]; seen || f.Naming != mapping.NamingMLX {
			continue
		}
		d.found[name] = f
		if f.Component != mapping.ComponentDiT {
			continue
		}
		d.ditUnits = append(d.ditUnits, name)
		if f.Config != "" {
			if d.configs[name], err = layout.ReadSmall(f.Config); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// units expands the requested components into the units to verify: "dit"
// is both experts of an A14B directory.
func (d *convertedDir) units(components []string) []string {
	var out []string
	for _, c := range components {
		if c == string(mapping.ComponentDiT) && len(d.ditUnits) > 0 {
			out = append(out, d.ditUnits...)
		} else {
			out = append(out, c)
		}
	}
	return out
}

// configOf is the config.json a unit's architecture reads (a DiT's own,
// else the directory's).
func (d *convertedDir) configOf(name string) []byte {
	if c, ok := d.configs[name]; ok {
		return c
	}
	return d.Config
}

// experts is the number of DiT files: 1, or 2 for an A14B directory.
func (d *convertedDir) experts() int { return max(1, len(d.ditUnits)) }

// open opens a component's tensors (the DiT through its index when it has
// one).
func (d *convertedDir) open(component string) (tensor.SectionSource, error) {
	f, ok := d.found[component]
	if !ok {
		return nil, fmt.Errorf("%s: component file missing (none of %s in %s)", component, d.expectedFiles([]string{component}), d.Path)
	}
	return safetensors.OpenAuto(f.Path)
}

// layoutOf is the converted layout a component was found in.
func (d *convertedDir) layoutOf(component string) mapping.Layout {
	if f, ok := d.found[component]; ok && f.Layout != "" {
		return f.Layout
	}
	return mapping.LayoutWanconv
}

// files lists the safetensors files holding a component (a DiT's shards).
func (d *convertedDir) files(component string) ([]string, error) {
	f, ok := d.found[component]
	if !ok {
		return nil, fmt.Errorf("%s: component file missing in %s", component, d.Path)
	}
	return layout.Shards(f.Path)
}

// checkpoint is the index or single file a unit was found in.
func (d *convertedDir) checkpoint(name string) string { return d.found[name].Path }

// hasAnyComponent reports whether at least one of the components has its
// file: a directory with none is not a converted directory at all.
func (d *convertedDir) hasAnyComponent(components []string) bool {
	for _, c := range components {
		if _, ok := d.found[c]; ok {
			return true
		}
	}
	return false
}

// expectedFiles names the component files, for messages.
func (d *convertedDir) expectedFiles(components []string) string {
	var names []string
	for _, c := range components {
		comp, e := splitUnit(c)
		for _, l := range layout.Layouts {
			names = append(names, l.ForExpert(e).Candidates(mapping.Component(comp))...)
		}
	}
	return strings.Join(names, ", ")
}

// manifestFiles lists the manifest entries of a unit (a component, or one
// expert's DiT).
func (d *convertedDir) manifestFiles(name string) []manifestFile {
	if d.Manifest == nil {
		return nil
	}
	component, expert := splitUnit(name)
	var out []manifestFile
	for _, f := range d.Manifest.Files {
		if f.Component == component && f.Expert == string(expert) {
			out = append(out, f)
		}
	}
	return out
}

// DTypeLabel is the manifest's dtype field ("bfloat16", or "+"-joined).
func (f manifestFile) DTypeLabel() string { return f.DType }
