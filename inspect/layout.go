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
	expert    layout.Expert     // the A14B expert of a DiT, "" if none
}

const configName = layout.ReleaseConfig

// shardName matches one shard of a sharded safetensors checkpoint.
var shardName = regexp.MustCompile(`-\d+-of-\d+\.safetensors$`)

// resolve turns the command-line path into targets and the input kind.
// Every file is then read through res.tree (the caller closes it): a
// directory's tree, or, for a file, its directory's, so that neither an
// index's shards nor the config.json beside it is read from elsewhere.
func resolve(path string) (res resolved, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return res, err
	}
	if fi.IsDir() {
		return resolveDir(path)
	}
	if !fi.Mode().IsRegular() {
		return res, fmt.Errorf("%s: not a regular file or directory", path)
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".safetensors":
		res.input = InputSafetensors
	case ".json":
		res.input = InputIndex
	case ".pth", ".pt":
		res.input = InputPth
	default:
		return res, fmt.Errorf("%s: unsupported file type %q (want .safetensors, a sharded index .json, .pth or a directory)", path, ext)
	}
	tree, named, err := layout.OpenFileTree(path)
	if err != nil {
		return res, err
	}
	config := tree.Path(configName)
	switch ok, err := tree.Regular(config); {
	case err != nil:
		tree.Close()
		return res, err
	case !ok:
		config = ""
	}
	res.tree = tree
	res.targets = []target{{path: named, config: config}}
	return res, nil
}

// resolved is what resolve makes of the command-line path.
type resolved struct {
	tree    *layout.Tree // every file is read through it
	targets []target
	input   string
	missing []mapping.Component
	release mapping.ReleaseKind
}

// resolveDir finds the components of a release or converted directory
// (package layout knows the file names and the release kind).
func resolveDir(dir string) (resolved, error) {
	tree, err := layout.OpenTree(dir)
	if err != nil {
		return resolved{}, err
	}
	d, err := tree.Discover()
	if err != nil {
		tree.Close()
		return resolved{}, err
	}
	res := resolved{tree: tree, input: d.Kind, missing: d.Missing, release: d.Release}
	for _, f := range d.Found {
		res.targets = append(res.targets, target{path: f.Path, component: f.Component, naming: f.Naming, layout: f.Layout,
			config: f.Config, expert: f.Expert})
	}
	return res, nil
}
