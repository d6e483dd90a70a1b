package verify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/tensor"
)

// ManifestName is the converter's manifest file.
const ManifestName = "wanconv-manifest.json"

// componentFile is where each component lives in a converted directory.
var componentFile = map[string]string{
	"dit": "wan_model_mlx.safetensors.index.json",
	"t5":  "t5_encoder_mlx.safetensors",
	"vae": "vae_mlx.safetensors",
}

// convertedDir is an opened converted MLX directory.
type convertedDir struct {
	Path     string
	Manifest *manifest // nil when the directory has none
	Config   []byte    // config.json (DiT heads, model type)
}

// manifest is the part of wanconv-manifest.json the verifier checks.
type manifest struct {
	Files []manifestFile `json:"files"`
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
	d := &convertedDir{Path: dir}
	if b, err := safefs.ReadFile(filepath.Join(dir, "config.json"), maxConfigJSON); err == nil {
		d.Config = b
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	b, err := safefs.ReadFile(filepath.Join(dir, ManifestName), maxManifestJSON)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		var m manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
		}
		d.Manifest = &m
	}
	return d, nil
}

// open opens a component's tensors (the DiT through its index, falling back
// to a single wan_model_mlx.safetensors).
func (d *convertedDir) open(component string) (tensor.SectionSource, error) {
	p := filepath.Join(d.Path, componentFile[component])
	if component == "dit" {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			single := filepath.Join(d.Path, "wan_model_mlx.safetensors")
			if _, err2 := os.Stat(single); err2 == nil {
				p = single
			}
		}
	}
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("%s: component file missing: %w", component, err)
	}
	return safetensors.OpenAuto(p)
}

// hasAnyComponent reports whether at least one of the components has its
// file: a directory with none is not a converted directory at all.
func (d *convertedDir) hasAnyComponent(components []string) bool {
	for _, c := range components {
		for _, name := range candidateFiles(c) {
			if _, err := os.Stat(filepath.Join(d.Path, name)); err == nil {
				return true
			}
		}
	}
	return false
}

// expectedFiles names the component files, for messages.
func (d *convertedDir) expectedFiles(components []string) string {
	var names []string
	for _, c := range components {
		names = append(names, candidateFiles(c)...)
	}
	return strings.Join(names, ", ")
}

func candidateFiles(component string) []string {
	if component == "dit" {
		return []string{componentFile["dit"], "wan_model_mlx.safetensors"}
	}
	return []string{componentFile[component]}
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

// DTypeLabel is the manifest's dtype field ("bfloat16", or "+"-joined).
func (f manifestFile) DTypeLabel() string { return f.DType }
