package dit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// weightsBase is the DiT weights file name in a converted directory (shards
// are listed by weightsBase + ".index.json").
const weightsBase = "wan_model_mlx.safetensors"

// weightSet is where a converted directory keeps the DiT tensors.
type weightSet struct {
	files []string          // paths, sorted
	index map[string]string // tensor → file base name; nil without an index
}

// WeightFiles lists the DiT safetensors files of a converted directory: the
// shards named by wan_model_mlx.safetensors.index.json when it exists,
// otherwise wan_model_mlx.safetensors.
func WeightFiles(dir string) ([]string, error) {
	ws, err := findWeights(dir)
	if err != nil {
		return nil, err
	}
	return ws.files, nil
}

func findWeights(dir string) (weightSet, error) {
	indexPath := filepath.Join(dir, weightsBase+".index.json")
	data, err := os.ReadFile(indexPath)
	if errors.Is(err, os.ErrNotExist) {
		single := filepath.Join(dir, weightsBase)
		if _, err := os.Stat(single); err != nil {
			return weightSet{}, fmt.Errorf("dit: no DiT weights in %s: %w", dir, err)
		}
		return weightSet{files: []string{single}}, nil
	}
	if err != nil {
		return weightSet{}, fmt.Errorf("dit: %w", err)
	}
	index, shards, err := parseIndex(data)
	if err != nil {
		return weightSet{}, fmt.Errorf("dit: %s: %w", indexPath, err)
	}
	ws := weightSet{index: index}
	for _, s := range shards {
		ws.files = append(ws.files, filepath.Join(dir, s))
	}
	return ws, nil
}

// parseIndex reads a safetensors index: the tensor → shard map and the
// distinct shard names (sorted). Shard names must be plain file names in the
// index's directory.
func parseIndex(data []byte) (map[string]string, []string, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, nil, err
	}
	if len(idx.WeightMap) == 0 {
		return nil, nil, fmt.Errorf("weight_map is empty")
	}
	seen := make(map[string]bool)
	var shards []string
	for tensor, file := range idx.WeightMap {
		if file == "" || filepath.Base(file) != file || file == "." || file == ".." {
			return nil, nil, fmt.Errorf("tensor %s maps to %q, not a file name in the same directory", tensor, file)
		}
		if !seen[file] {
			seen[file] = true
			shards = append(shards, file)
		}
	}
	sort.Strings(shards)
	return idx.WeightMap, shards, nil
}

// checkShard compares the tensors found in one shard with the index.
func (ws weightSet) checkShard(path string, names []string) []string {
	if ws.index == nil {
		return nil
	}
	base := filepath.Base(path)
	var problems []string
	for _, name := range names {
		switch want, ok := ws.index[name]; {
		case !ok:
			problems = append(problems, fmt.Sprintf("tensor %s in %s is not in the index", name, base))
		case want != base:
			problems = append(problems, fmt.Sprintf("tensor %s is in %s but the index says %s", name, base, want))
		}
	}
	return problems
}

// missingFromShards lists index entries that no shard provided.
func (ws weightSet) missingFromShards(loaded map[string]bool) []string {
	var problems []string
	for name, file := range ws.index {
		if !loaded[name] {
			problems = append(problems, fmt.Sprintf("tensor %s is indexed in %s but missing there", name, file))
		}
	}
	sort.Strings(problems)
	return problems
}
