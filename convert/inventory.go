package convert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/layout"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// Source file names of a Wan2.2 TI2V release directory (package layout
// spells them).
const (
	srcConfig        = layout.ReleaseConfig
	srcConfiguration = layout.ReleaseConfiguration
	srcDiTIndex      = layout.ReleaseDiTIndex
	srcDiTSingle     = layout.ReleaseDiTSingle
	srcT5            = layout.ReleaseT5
	srcVAE           = layout.ReleaseVAE
	srcTokenizer     = layout.Tokenizer
)

// maxIndexJSON caps the DiT index (as the safetensors reader does);
// config.json is capped at layout.MaxConfigSize.
const maxIndexJSON = 100 << 20

// inventory is the opened release: headers read and checked, no tensor data
// touched yet.
type inventory struct {
	srcDir    string
	root      *safefs.Root
	ditConfig []byte
	sources   sourceSet
	paths     map[mapping.Component]string // path shown in messages
	files     []layout.SourceFile          // every input file, sorted by path
	copies    []string                     // files copied verbatim (relative paths)
}

// close releases every opened source.
func (inv *inventory) close() {
	for _, s := range inv.sources {
		if s != nil {
			_ = s.Close()
		}
	}
}

// takeInventory locates and opens every component of the release. Every
// file is read through root: regular files only, links only when they stay
// inside the release. All problems found are reported together.
func takeInventory(ctx context.Context, root *safefs.Root) (_ *inventory, err error) {
	dir := root.Dir()
	inv := &inventory{srcDir: dir, root: root, sources: sourceSet{}, paths: map[mapping.Component]string{}}
	defer func() {
		if err != nil {
			inv.close()
		}
	}()
	var problems []error
	need := func(rel string, wantDir bool) bool {
		st, err := root.Stat(rel)
		switch {
		case safefs.IsHostile(err):
			problems = append(problems, err)
		case err != nil:
			problems = append(problems, fmt.Errorf("missing %s: %w", filepath.Join(dir, rel), err))
		case wantDir && !st.IsDir():
			problems = append(problems, fmt.Errorf("%s: expected a directory", filepath.Join(dir, rel)))
		case !wantDir && !st.Mode().IsRegular():
			problems = append(problems, safefs.RequireRegular(filepath.Join(dir, rel), st))
		default:
			return true
		}
		return false
	}
	if need(srcConfig, false) {
		inv.copies = append(inv.copies, srcConfig)
		inv.ditConfig, err = root.ReadFile(srcConfig, layout.MaxConfigSize)
		if err != nil {
			problems = append(problems, err)
		} else if !json.Valid(inv.ditConfig) {
			problems = append(problems, fmt.Errorf("%s: not valid JSON", filepath.Join(dir, srcConfig)))
		}
	}
	if need(srcConfiguration, false) {
		inv.copies = append(inv.copies, srcConfiguration)
	}
	if need(srcTokenizer, true) {
		files, err := root.WalkFiles(srcTokenizer)
		if err != nil {
			problems = append(problems, err)
		}
		inv.copies = append(inv.copies, files...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ditPath := filepath.Join(dir, srcDiTIndex)
	if _, err := root.Stat(srcDiTIndex); errors.Is(err, fs.ErrNotExist) {
		if _, err := root.Stat(srcDiTSingle); err == nil {
			ditPath = filepath.Join(dir, srcDiTSingle)
		}
	}
	open := []struct {
		c    mapping.Component
		path string
		fn   func(opener, string) (tensor.Source, error)
	}{
		{mapping.ComponentDiT, ditPath, openSafetensorsSource},
		{mapping.ComponentT5, filepath.Join(dir, srcT5), openPthSource},
		{mapping.ComponentVAE, filepath.Join(dir, srcVAE), openPthSource},
	}
	for _, o := range open {
		inv.paths[o.c] = o.path
		rel, _ := filepath.Rel(dir, o.path)
		if _, err := root.Stat(rel); err != nil && !safefs.IsHostile(err) {
			if o.c == mapping.ComponentDiT {
				problems = append(problems, fmt.Errorf("missing DiT checkpoint: neither %s nor %s exists",
					filepath.Join(dir, srcDiTIndex), filepath.Join(dir, srcDiTSingle)))
			} else {
				problems = append(problems, fmt.Errorf("missing %s checkpoint %s", o.c, o.path))
			}
			continue
		}
		src, err := o.fn(root.OpenPath, o.path)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s checkpoint: %w", o.c, err))
			continue
		}
		inv.sources[o.c] = src
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if len(problems) > 0 {
		return nil, inputError(errors.Join(problems...))
	}
	if err := inv.recordFiles(); err != nil {
		return nil, inputError(err)
	}
	return inv, nil
}

// recordFiles lists every input file with its size, for the manifest.
func (inv *inventory) recordFiles() error {
	rels := append([]string(nil), inv.copies...)
	for _, c := range mapping.Components {
		p := inv.paths[c]
		rel, _ := filepath.Rel(inv.srcDir, p)
		rels = append(rels, rel)
		if filepath.Ext(p) == ".json" {
			shards, err := indexShards(inv.root, rel)
			if err != nil {
				return err
			}
			for _, s := range shards {
				rels = append(rels, filepath.Join(filepath.Dir(rel), s))
			}
		}
	}
	sort.Strings(rels)
	for i, r := range rels {
		if i > 0 && rels[i-1] == r {
			continue
		}
		st, err := inv.root.Stat(r)
		if err != nil {
			return err
		}
		inv.files = append(inv.files, layout.SourceFile{Path: filepath.ToSlash(r), Bytes: st.Size()})
	}
	return nil
}

// indexShards returns the distinct shard names of a safetensors index,
// read through root and the strict index parser.
func indexShards(root *safefs.Root, rel string) ([]string, error) {
	raw, err := root.ReadFile(rel, maxIndexJSON)
	if err != nil {
		return nil, err
	}
	idx, err := safetensors.ParseIndex(root.Path(rel), raw)
	if err != nil {
		return nil, err
	}
	return idx.Shards, nil
}

// inputBytes is the total size of the tensor checkpoints.
func (inv *inventory) inputBytes() int64 {
	var n int64
	for _, f := range inv.files {
		n += f.Bytes
	}
	return n
}
