package verify

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
	Manifest *manifest // nil when the directory has none
	Config   []byte    // config.json (DiT heads, model type)
	found    map[string]layout.Found
}

// manifest is the part of wanconv-manifest.json the verifier checks.
type manifest struct {
	Files []manifestFile `json:"files"`
	// Quantization is the DiT's (absent when dense).
	Quantization *struct {
		GroupSize int `json:"group_size"`
		Bits      int `json:"bits"`
	} `json:"quantization,omitempty"`
}

type manifestFile struct {
	Path      string `json:"path"`
	Component string `json:"component"`
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
	d := &convertedDir{Path: dir, found: map[string]layout.Found{}}
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
	if found, err := layout.Discover(dir); err == nil {
		for _, f := range found.Found {
			if _, seen := d.found[string(f.Component)]; !seen && f.Naming == mapping.NamingMLX {
				d.found[string(f.Component)] = f
			}
		}
	}
	return d, nil
}

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
		for _, l := range layout.Layouts {
			names = append(names, l.Candidates(mapping.Component(c))...)
		}
	}
	return strings.Join(names, ", ")
}

// manifestFiles lists the manifest entries of a component.
func (d *convertedDir) manifestFiles(component string) []manifestFile {
	if d.Manifest == nil {
		return nil
	}
	var out []manifestFile
	for _, f := range d.Manifest.Files {
		if f.Component == component {
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

// DTypeLabel is the manifest's dtype field ("bfloat16", or "+"-joined).
func (f manifestFile) DTypeLabel() string { return f.DType }
