package safetensors

import (
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"

	"github.com/wanconv/wanconv/internal/safefs"
)

// Index is a parsed "*.safetensors.index.json": the one strict reading of the
// format that every package uses (duplicate keys at any level, unknown keys,
// an empty weight_map and shard names that leave the index's directory are
// refused). It reads no shard.
type Index struct {
	Path     string
	Metadata map[string]json.RawMessage // nil when absent
	// WeightMap maps each tensor to its shard, a cleaned relative path.
	WeightMap map[string]string
	// Shards are the distinct shard names, sorted.
	Shards []string
}

// ReadIndex reads and checks an index file (size-capped) without opening
// its shards.
func ReadIndex(path string) (*Index, error) { return ReadIndexWith(safefs.OpenRegular, path) }

// ReadIndexWith is ReadIndex with the index opened by open (e.g.
// (*safefs.Root).OpenPath, to read it only from inside a directory).
func ReadIndexWith(open Opener, path string) (*Index, error) {
	raw, err := readIndex(open, path)
	if err != nil {
		return nil, err
	}
	return ParseIndex(path, raw)
}

// ParseIndex checks index bytes read elsewhere; path names them in errors.
func ParseIndex(path string, raw []byte) (*Index, error) {
	idx, err := parseIndexJSON(path, raw)
	if err != nil {
		return nil, err
	}
	out := &Index{Path: path, Metadata: idx.metadata, WeightMap: make(map[string]string, len(idx.weightMap))}
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(idx.weightMap)) {
		shard := idx.weightMap[name]
		if !filepath.IsLocal(shard) {
			return nil, &Error{Index: path, File: shard, Tensor: name, Kind: ErrUnsafeShardPath,
				Detail: "shard names must be relative paths inside the index directory"}
		}
		clean := filepath.Clean(shard)
		out.WeightMap[name] = clean
		if !seen[clean] {
			seen[clean] = true
			out.Shards = append(out.Shards, clean)
		}
	}
	slices.Sort(out.Shards)
	return out, nil
}

// ShardTensors groups the indexed tensor names by shard (each list sorted).
func (x *Index) ShardTensors() map[string][]string {
	users := map[string][]string{}
	for _, name := range slices.Sorted(maps.Keys(x.WeightMap)) {
		users[x.WeightMap[name]] = append(users[x.WeightMap[name]], name)
	}
	return users
}
