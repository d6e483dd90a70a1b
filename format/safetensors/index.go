package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/tensor"
)

// maxIndexSize caps the size of an index file read by OpenIndex.
const maxIndexSize = 100 << 20

// Sharded is a checkpoint split over several safetensors files and described
// by a Hugging Face index ("*.safetensors.index.json"). Each shard is opened
// once; tensors are served from the shard that holds them.
type Sharded struct {
	path   string
	meta   map[string]json.RawMessage
	shards []*File          // sorted by shard name
	owner  map[string]*File // tensor name → shard
	infos  []tensor.Info    // sorted by name
}

var _ tensor.SectionSource = (*Sharded)(nil)

// OpenIndex opens the index at indexPath and every shard it names (relative
// to the index's directory), and checks that the index and the shards agree
// exactly. Errors name the index, the shard and the tensor involved.
func OpenIndex(indexPath string) (*Sharded, error) {
	return OpenIndexWith(safefs.OpenRegular, indexPath)
}

// OpenIndexWith is OpenIndex with the index and every shard opened by open.
func OpenIndexWith(open Opener, indexPath string) (*Sharded, error) {
	raw, err := readIndex(open, indexPath)
	if err != nil {
		return nil, err
	}
	idx, err := ParseIndex(indexPath, raw)
	if err != nil {
		return nil, err
	}
	users := idx.ShardTensors()
	s := &Sharded{path: indexPath, meta: idx.Metadata, owner: map[string]*File{}}
	byName := map[string]*File{}
	dir := filepath.Dir(indexPath)
	for _, shard := range idx.Shards {
		f, err := OpenWith(open, filepath.Join(dir, shard))
		if err != nil {
			s.Close()
			var e *Error
			if errors.As(err, &e) && errors.Is(err, fs.ErrNotExist) {
				return nil, &Error{Index: indexPath, File: e.File, Tensor: users[shard][0], Kind: ErrMissingShard,
					Detail: fmt.Sprintf("named by %d tensors in the weight_map", len(users[shard])), Err: e.Err}
			}
			return nil, withIndex(indexPath, err)
		}
		s.shards = append(s.shards, f)
		byName[shard] = f
	}
	if err := s.link(idx.WeightMap, byName); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func readIndex(open Opener, path string) ([]byte, error) {
	f, err := open(path)
	if err != nil {
		return nil, &Error{Index: path, Kind: ErrRead, Err: err}
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxIndexSize+1))
	if err != nil {
		return nil, &Error{Index: path, Kind: ErrRead, Err: err}
	}
	if len(raw) > maxIndexSize {
		return nil, &Error{Index: path, Kind: ErrInvalidIndex, Detail: fmt.Sprintf("larger than %d bytes", maxIndexSize)}
	}
	return raw, nil
}

// link checks the weight map against the shards' contents and records which
// shard serves each tensor.
func (s *Sharded) link(weightMap map[string]string, byName map[string]*File) error {
	holders := map[string][]*File{} // tensor → shards that store it
	for _, f := range s.shards {
		for _, info := range f.infos {
			holders[info.Name] = append(holders[info.Name], f)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(holders)) {
		if h := holders[name]; len(h) > 1 {
			return &Error{Index: s.path, File: h[1].Path(), Tensor: name, Kind: ErrDuplicateTensor,
				Detail: "also stored in " + h[0].Path()}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(weightMap)) {
		f := byName[filepath.Clean(weightMap[name])]
		if _, ok := f.entries[name]; !ok {
			detail := ""
			if h := holders[name]; len(h) == 1 {
				detail = "it is stored in " + h[0].Path()
			}
			return &Error{Index: s.path, File: f.Path(), Tensor: name, Kind: ErrTensorNotInShard, Detail: detail}
		}
		s.owner[name] = f
	}
	for _, name := range slices.Sorted(maps.Keys(holders)) {
		if _, ok := weightMap[name]; !ok {
			return &Error{Index: s.path, File: holders[name][0].Path(), Tensor: name, Kind: ErrTensorNotInIndex}
		}
	}
	for _, f := range s.shards {
		s.infos = append(s.infos, f.infos...)
	}
	tensor.SortInfos(s.infos)
	return nil
}

// OpenAuto opens path as an index when its name ends in ".json" and as a
// single safetensors file otherwise.
func OpenAuto(path string) (tensor.SectionSource, error) {
	return OpenAutoWith(safefs.OpenRegular, path)
}

// OpenAutoWith is OpenAuto with every file opened by open.
func OpenAutoWith(open Opener, path string) (tensor.SectionSource, error) {
	if strings.HasSuffix(strings.ToLower(path), ".json") {
		s, err := OpenIndexWith(open, path)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	f, err := OpenWith(open, path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Path is the index file's path.
func (s *Sharded) Path() string { return s.path }

// Metadata returns the index's "metadata" object, each value as raw JSON
// (e.g. "total_size"); nil when the index has none.
func (s *Sharded) Metadata() map[string]json.RawMessage {
	if s.meta == nil {
		return nil
	}
	m := make(map[string]json.RawMessage, len(s.meta))
	for k, v := range s.meta {
		m[k] = append(json.RawMessage(nil), v...)
	}
	return m
}

// Shards returns the opened shard files, sorted by name. They are owned by s:
// do not close them.
func (s *Sharded) Shards() []*File { return append([]*File(nil), s.shards...) }

// ShardOf returns the shard file holding the named tensor.
func (s *Sharded) ShardOf(name string) (*File, bool) {
	f, ok := s.owner[name]
	return f, ok
}

// Tensors lists every tensor of every shard, sorted by name.
func (s *Sharded) Tensors() []tensor.Info {
	return cloneInfos(s.infos)
}

// Lookup finds a tensor by name.
func (s *Sharded) Lookup(name string) (tensor.Info, bool) {
	f, ok := s.owner[name]
	if !ok {
		return tensor.Info{}, false
	}
	return f.Lookup(name)
}

// ReadTensor reads the named tensor from its shard into dst.
func (s *Sharded) ReadTensor(name string, dst []byte) error {
	f, ok := s.owner[name]
	if !ok {
		return &Error{Index: s.path, Tensor: name, Kind: ErrTensorNotFound}
	}
	if err := f.ReadTensor(name, dst); err != nil {
		return withIndex(s.path, err)
	}
	return nil
}

// Section returns a reader over the tensor's bytes in its shard.
func (s *Sharded) Section(name string) (tensor.SectionReader, bool, error) {
	f, ok := s.owner[name]
	if !ok {
		return nil, false, &Error{Index: s.path, Tensor: name, Kind: ErrTensorNotFound}
	}
	r, ok, err := f.Section(name)
	if err != nil {
		return nil, false, withIndex(s.path, err)
	}
	return r, ok, nil
}

// Close closes every shard.
func (s *Sharded) Close() error {
	var errs []error
	for _, f := range s.shards {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}
