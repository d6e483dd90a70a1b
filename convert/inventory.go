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

// Source file names of a Wan2.2 release directory (package layout spells
// them).
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

// part is one network of the release: a component and, for a DiT of an
// A14B release, its expert.
type part struct {
	component mapping.Component
	expert    layout.Expert
}

// String names the part in messages: "dit", "t5", "vae" or
// "dit high_noise_model".
func (p part) String() string {
	if p.expert == "" {
		return string(p.component)
	}
	return string(p.component) + " " + string(p.expert)
}

func partOf(c mapping.Component) part { return part{component: c} }

// inventory is the opened release: headers read and checked, no tensor data
// touched yet.
type inventory struct {
	srcDir  string
	root    *safefs.Root
	kind    mapping.ReleaseKind // "" for a single model that is not ti2v
	parts   []part              // the DiT(s), then T5 and VAE
	configs map[part][]byte     // each DiT's config.json
	// configPaths are where they are (relative paths).
	configPaths map[part]string
	sources     sourceSet
	paths       map[part]string     // path shown in messages
	files       []layout.SourceFile // every input file, sorted by path
	copies      []string            // files copied verbatim (relative paths)
	// ditConfigs are the copies that are a DiT's config.json (replaced by
	// the mlx-video layout's own config.json).
	ditConfigs map[string]bool
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
// inside the release. Which files make the release is package layout's
// (DetectRelease: TI2V-5B, or the two experts of T2V/I2V-A14B). All
// problems found are reported together. The checkpoints are opened through
// st.
func takeInventory(ctx context.Context, root *safefs.Root, st storage) (_ *inventory, err error) {
	dir := root.Dir()
	inv := &inventory{srcDir: dir, root: root, sources: sourceSet{}, paths: map[part]string{},
		configs: map[part][]byte{}, configPaths: map[part]string{}, ditConfigs: map[string]bool{}}
	defer func() {
		if err != nil {
			inv.close()
		}
	}()
	rel, err := layout.DetectRelease(relFS{root})
	if err != nil {
		return nil, inputError(fmt.Errorf("%s: %w", dir, err))
	}
	inv.kind = rel.Kind
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
	for _, d := range rel.DiTs {
		p := part{mapping.ComponentDiT, d.Expert}
		inv.parts = append(inv.parts, p)
		cfg := filepath.FromSlash(d.Config)
		if !need(cfg, false) {
			continue
		}
		inv.copies = append(inv.copies, cfg)
		inv.ditConfigs[cfg] = true
		raw, err := root.ReadFile(cfg, layout.MaxConfigSize)
		if err != nil {
			problems = append(problems, err)
		} else if !json.Valid(raw) {
			problems = append(problems, fmt.Errorf("%s: not valid JSON", filepath.Join(dir, cfg)))
		}
		inv.configs[p], inv.configPaths[p] = raw, cfg
	}
	inv.parts = append(inv.parts, partOf(mapping.ComponentT5), partOf(mapping.ComponentVAE))
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
	type opening struct {
		p    part
		path string
		fn   func(opener, string) (tensor.Source, error)
	}
	var open []opening
	for i, d := range rel.DiTs {
		open = append(open, opening{inv.parts[i], filepath.Join(dir, filepath.FromSlash(d.Checkpoint)), st.openSafetensors})
	}
	open = append(open, opening{partOf(mapping.ComponentT5), filepath.Join(dir, rel.T5), st.openPth},
		opening{partOf(mapping.ComponentVAE), filepath.Join(dir, rel.VAE), st.openPth})
	for _, o := range open {
		inv.paths[o.p] = o.path
		rp, _ := filepath.Rel(dir, o.path)
		if _, err := root.Stat(rp); err != nil && !safefs.IsHostile(err) {
			if o.p.component == mapping.ComponentDiT {
				cands := layout.ReleaseCandidates(mapping.ComponentDiT)
				if o.p.expert != "" {
					cands = layout.ReleaseExpertCandidates(o.p.expert)
				}
				problems = append(problems, fmt.Errorf("missing DiT checkpoint: neither %s nor %s exists",
					filepath.Join(dir, filepath.FromSlash(cands[0])), filepath.Join(dir, filepath.FromSlash(cands[1]))))
			} else {
				problems = append(problems, fmt.Errorf("missing %s checkpoint %s", o.p, o.path))
			}
			continue
		}
		src, err := o.fn(root.OpenPath, o.path)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s checkpoint: %w", o.p, err))
			continue
		}
		inv.sources[o.p] = src
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

// relFS reads the release through its safefs root for layout's detection.
type relFS struct{ root *safefs.Root }

func (r relFS) Stat(rel string) (fs.FileInfo, error) { return r.root.Stat(filepath.FromSlash(rel)) }
func (r relFS) ReadFile(rel string, max int64) ([]byte, error) {
	return r.root.ReadFile(filepath.FromSlash(rel), max)
}

// recordFiles lists every input file with its size, for the manifest.
func (inv *inventory) recordFiles() error {
	rels := append([]string(nil), inv.copies...)
	for _, pt := range inv.parts {
		p := inv.paths[pt]
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
