package convert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// Summary reports a finished conversion.
type Summary struct {
	OutDir   string
	Files    int   // files in the converted directory (manifest included)
	Tensors  int   // tensors in the safetensors outputs
	Params   int64 // parameters (elements) in those tensors
	Bytes    int64 // bytes of the safetensors outputs
	Seconds  float64
	Warnings []string
	Manifest *layout.ManifestDoc
}

// Convert turns the Wan2.2 release in opt.SrcDir into the MLX layout in
// opt.OutDir. OUT_DIR is locked first; then everything is validated
// (options, existing outputs, every component's inventory and plan) before
// the first output byte is written;
// outputs appear in OUT_DIR only when all of them are complete. Errors of
// type *InputError mean bad usage or a bad checkpoint; a cancelled ctx
// returns context.Canceled and leaves no temporary files.
func Convert(ctx context.Context, opt Options) (*Summary, error) {
	return convertIn(ctx, opt, realEnv())
}

// convertIn is Convert reading, writing and committing through e.
func convertIn(ctx context.Context, opt Options, e env) (*Summary, error) {
	start := time.Now()
	r, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	src, err := openSource(r.SrcDir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if err := checkNesting(src.Real(), r.OutDir); err != nil {
		return nil, err
	}
	// The lock comes first: everything below sees OUT_DIR as this run left it.
	out, err := openOutDir(r.OutDir)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() { out.close(committed) }()
	if r.Progress != nil && !r.Quiet {
		if out.note != "" {
			fmt.Fprintf(r.Progress, "wanconv: %s: %s\n", r.OutDir, out.note)
		}
		if len(out.stale) > 0 {
			fmt.Fprintf(r.Progress, "wanconv: removed %d staging director(ies) left by an interrupted run: %s\n",
				len(out.stale), strings.Join(out.stale, ", "))
		}
	}
	prev, err := out.previousOutputs(r.Force)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inv, err := takeInventory(ctx, src, e.storage)
	if err != nil {
		return nil, err
	}
	defer inv.close()
	cp, err := planConversion(inv.planInput(), r)
	if err != nil {
		return nil, err
	}
	// The index and config files depend on the plan only: made now, so that
	// a problem with them stops the run before any tensor is written.
	generated, err := generatedFiles(r, inv, cp)
	if err != nil {
		return nil, err
	}
	names := outputNames(inv, cp, r, generated)
	if err := out.checkCollisions(names, prev); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := newStaging(out, e)
	if err != nil {
		return nil, err
	}
	defer func() {
		if !committed {
			st.abort()
		}
	}()
	m := newManifest(r, inv, cp)
	st.generatesConfig = r.generatesConfig()
	if err := copyVerbatim(ctx, inv, st, m); err != nil {
		return nil, err
	}
	var pw = r.Progress
	if r.Quiet {
		pw = nil
	}
	prog := newProgress(pw, r.ProgressBar, cp.totalSize)
	written, warnings, err := writeTensorFiles(ctx, cp, inv.sources, st, e.limits, prog)
	prog.finish()
	if err != nil {
		return nil, err
	}
	sum := &Summary{OutDir: r.OutDir, Warnings: warnings, Manifest: m}
	for i, f := range cp.files {
		addTensorFile(m, f, written[i])
		sum.Bytes += written[i].bytes
	}
	sum.Tensors, sum.Params = paramCount(cp.files)
	for _, g := range generated {
		if err := os.MkdirAll(filepath.Dir(st.path(g.Path)), 0o755); err != nil {
			return nil, err
		}
		if err := writeNewFile(st.path(g.Path), g.data); err != nil {
			return nil, err
		}
		m.Files = append(m.Files, g.ManifestEntry)
	}
	m.Warnings = append(m.Warnings, warnings...)
	sortFiles(m)
	mj, err := encodeJSON(m)
	if err != nil {
		return nil, err
	}
	if err := writeNewFile(st.path(outManifest), mj); err != nil {
		return nil, err
	}
	// Past this point cancellation is ignored: the commit is a handful of
	// renames, and a kill during it is recovered by the next run.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := st.commit(prev, names); err != nil {
		if st.killed {
			committed = true // as if the process had died: leave everything
		}
		return nil, err
	}
	committed = true
	sum.Files = len(m.Files) + 1
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

// openSource opens the release directory for reading.
func openSource(dir string) (*safefs.Root, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, inputError(fmt.Errorf("source directory: %w", err))
	}
	if !st.IsDir() {
		return nil, usageErrorf("source %s is not a directory", dir)
	}
	root, err := safefs.OpenRoot(dir)
	if err != nil {
		return nil, inputError(fmt.Errorf("source directory: %w", err))
	}
	return root, nil
}

// outputNames lists every file the conversion writes (slash-separated),
// the manifest last: it is placed last, so its presence marks a complete set.
func outputNames(inv *inventory, cp *conversionPlan, r *resolvedOptions, generated []generated) []string {
	var names []string
	generatesConfig := r.generatesConfig()
	for _, rel := range inv.copies {
		if inv.ditConfigs[rel] && generatesConfig {
			continue
		}
		names = append(names, filepath.ToSlash(rel))
	}
	if r.layout.DiTIndexed {
		for _, d := range cp.dits {
			names = append(names, d.names.DiTIndex())
		}
	}
	for _, g := range generated {
		if g.Kind == "config" {
			names = append(names, g.Path)
		}
	}
	for _, f := range cp.files {
		names = append(names, f.name)
	}
	return append(names, outManifest)
}

// copyVerbatim copies config files and the tokenizer folder into staging.
func copyVerbatim(ctx context.Context, inv *inventory, st *staging, m *layout.ManifestDoc) error {
	for _, rel := range inv.copies {
		if inv.ditConfigs[rel] && st.generatesConfig {
			continue // the layout writes its own config.json
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		h := sha256.New()
		n, err := copyFile(ctx, st, inv.root, rel, h)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, layout.ManifestEntry{Path: filepath.ToSlash(rel), Kind: "copy", SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n})
	}
	return nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// generated is a small output file the converter writes itself.
type generated struct {
	layout.ManifestEntry
	data []byte
}

// generatesConfig reports whether the conversion writes the DiTs'
// config.json itself (mlx-video's complete one, or the release's with a
// quantization entry) rather than copying the release's.
func (r *resolvedOptions) generatesConfig() bool {
	return r.layout.Name == mapping.LayoutMLXVideo || r.quant != nil
}

// quantInfo is the quantization object of the manifest and config.json (nil
// when not quantizing).
func (r *resolvedOptions) quantInfo() *layout.Quantization {
	if r.quant == nil {
		return nil
	}
	return &layout.Quantization{GroupSize: r.quant.GroupSize, Bits: r.quant.Bits}
}

// generatedFiles are the layout's index and config files: each DiT's shard
// index (wanconv layout), mlx-video's complete config.json, or (wanconv
// layout, quantized) each DiT's config.json from the release with a
// quantization entry.
func generatedFiles(r *resolvedOptions, inv *inventory, cp *conversionPlan) ([]generated, error) {
	var out []generated
	if r.layout.DiTIndexed {
		for _, d := range cp.dits {
			idx, err := ditIndexJSON(d)
			if err != nil {
				return nil, err
			}
			out = append(out, generated{layout.ManifestEntry{Path: d.names.DiTIndex(), Kind: "index", Component: mapping.ComponentDiT, Expert: d.expert,
				SHA256: sha256Hex(idx), Bytes: int64(len(idx))}, idx})
		}
	}
	if r.layout.Name == mapping.LayoutMLXVideo {
		cfg, err := mlxVideoConfig(r, inv, cp)
		if err != nil {
			return nil, inputError(fmt.Errorf("--layout mlx-video: %w", err))
		}
		out = append(out, generated{layout.ManifestEntry{Path: layout.Config, Kind: "config", SHA256: sha256Hex(cfg), Bytes: int64(len(cfg))}, cfg})
	} else if qi := r.quantInfo(); qi != nil {
		for _, p := range inv.parts {
			rel, ok := inv.configPaths[p]
			if !ok {
				continue
			}
			cfg, err := withQuantization(inv.configs[p], *qi)
			if err != nil {
				return nil, inputError(fmt.Errorf("--quantize: %s: %w", filepath.Join(inv.srcDir, rel), err))
			}
			out = append(out, generated{layout.ManifestEntry{Path: filepath.ToSlash(rel), Kind: "config", Component: mapping.ComponentDiT, Expert: p.expert,
				SHA256: sha256Hex(cfg), Bytes: int64(len(cfg))}, cfg})
		}
	}
	return out, nil
}

// mlxVideoConfig is mlx-video's config.json for the release: one
// WanModelConfig describes both experts, so they must agree.
func mlxVideoConfig(r *resolvedOptions, inv *inventory, cp *conversionPlan) ([]byte, error) {
	var dit *mapping.DiTArch
	for _, p := range inv.parts {
		a, _ := cp.archs[p].(*mapping.DiTArch)
		switch {
		case a == nil:
		case dit == nil:
			dit = a
		case !reflect.DeepEqual(a, dit):
			return nil, fmt.Errorf("the experts' architectures differ (%s: %+v, %s: %+v); mlx-video's one config.json describes both",
				layout.ExpertHigh, *dit, p.expert, *a)
		}
	}
	t5, _ := cp.archs[partOf(mapping.ComponentT5)].(*mapping.T5Arch)
	vae, _ := cp.archs[partOf(mapping.ComponentVAE)].(*mapping.VAEArch)
	kind := cp.kind
	if kind == "" {
		var err error
		if kind, err = mapping.ReleaseKindOf(dit, len(cp.dits)); err != nil {
			return nil, err
		}
	}
	var q *mapping.MLXVideoQuantization
	if qi := r.quantInfo(); qi != nil {
		q = &mapping.MLXVideoQuantization{GroupSize: qi.GroupSize, Bits: qi.Bits}
	}
	cfg, err := mapping.MLXVideoConfigQuantized(kind, dit, t5, vae, q)
	if err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	return cfg, nil
}
