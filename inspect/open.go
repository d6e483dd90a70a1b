package inspect

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/tensor"
)

// opened is what the headers of one target say.
type opened struct {
	format   string
	index    *string
	files    []string
	metadata map[string]json.RawMessage
	infos    []tensor.Info
}

// openTarget reads the headers of a target (never tensor data) and closes it.
func openTarget(tree *layout.Tree, path string) (*opened, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		s, err := safetensors.OpenIndexWith(tree.Opener(), path)
		if err != nil {
			return nil, named(path, err)
		}
		defer s.Close()
		o := &opened{format: "safetensors", index: &path, metadata: s.Metadata(), infos: s.Tensors()}
		for _, f := range s.Shards() {
			o.files = append(o.files, f.Path())
		}
		sort.Strings(o.files)
		return o, nil
	case ".safetensors":
		f, err := safetensors.OpenWith(tree.Opener(), path)
		if err != nil {
			return nil, named(path, err)
		}
		defer f.Close()
		return &opened{format: "safetensors", files: []string{path}, metadata: stringsToJSON(f.Metadata()), infos: f.Tensors()}, nil
	default:
		f, err := pth.OpenWith(tree.Opener(), path)
		if err != nil {
			return nil, named(path, err)
		}
		defer f.Close()
		return &opened{format: "pth-" + string(f.Format()), files: []string{path}, infos: f.Tensors()}, nil
	}
}

// named makes sure an error names the file.
func named(path string, err error) error {
	if strings.Contains(err.Error(), path) {
		return err
	}
	return fmt.Errorf("%s: %w", path, err)
}

func stringsToJSON(m map[string]string) map[string]json.RawMessage {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		b, _ := json.Marshal(v) // a string always marshals
		out[k] = b
	}
	return out
}

// readConfig reads a config.json (a regular file of at most
// layout.MaxConfigSize bytes: a huge or sparse one is refused, not read
// whole) or returns nil for "".
func readConfig(tree *layout.Tree, path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := tree.ReadSmall(path)
	if err != nil {
		return nil, named(path, err)
	}
	return data, nil
}
