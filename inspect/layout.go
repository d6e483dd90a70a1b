package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// target is one checkpoint to open: a file or index, with what is known
// about it before reading it.
type target struct {
	path      string
	component mapping.Component // "" = detect from tensor names
	naming    mapping.Naming    // "" = detect from tensor names
	layout    mapping.Layout    // converted layout; "" = detect (MLX naming only)
	config    string            // config.json for a DiT, "" if none
}

const configName = layout.ReleaseConfig

// shardName matches one shard of a sharded safetensors checkpoint.
var shardName = regexp.MustCompile(`-\d+-of-\d+\.safetensors$`)

// resolve turns the command-line path into targets and the input kind.
func resolve(path string) (targets []target, input string, missing []mapping.Component, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", nil, err
	}
	if fi.IsDir() {
		return resolveDir(path)
	}
	if !fi.Mode().IsRegular() {
		return nil, "", nil, fmt.Errorf("%s: not a regular file or directory", path)
	}
	t := target{path: path, config: siblingConfig(path)}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".safetensors":
		return []target{t}, InputSafetensors, nil, nil
	case ".json":
		return []target{t}, InputIndex, nil, nil
	case ".pth", ".pt":
		return []target{t}, InputPth, nil, nil
	default:
		return nil, "", nil, fmt.Errorf("%s: unsupported file type %q (want .safetensors, a sharded index .json, .pth or a directory)", path, ext)
	}
}

// resolveDir finds the components of a release or converted directory
// (package layout knows the file names).
func resolveDir(dir string) ([]target, string, []mapping.Component, error) {
	d, err := layout.Discover(dir)
	if err != nil {
		return nil, "", nil, err
	}
	var targets []target
	for _, f := range d.Found {
		t := target{path: f.Path, component: f.Component, naming: f.Naming, layout: f.Layout}
		if f.Component == mapping.ComponentDiT {
			t.config = d.Config
		}
		targets = append(targets, t)
	}
	return targets, d.Kind, d.Missing, nil
}

// siblingConfig returns the config.json beside a file, if any.
func siblingConfig(path string) string {
	p := filepath.Join(filepath.Dir(path), configName)
	if isFile(p) {
		return p
	}
	return ""
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	return fi.Mode().IsRegular()
}
