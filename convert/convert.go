package convert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wanconv/wanconv/internal/units"
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
	Manifest *Manifest
}

// Convert turns the Wan2.2 release in opt.SrcDir into the MLX layout in
// opt.OutDir. Everything is validated (options, existing outputs, every
// component's inventory and plan) before the first output byte is written;
// outputs appear in OUT_DIR only when all of them are complete. Errors of
// type *InputError mean bad usage or a bad checkpoint; a cancelled ctx
// returns context.Canceled and leaves no temporary files.
func Convert(ctx context.Context, opt Options) (*Summary, error) {
	start := time.Now()
	r, err := opt.resolve()
	if err != nil {
		return nil, err
	}
	if err := checkOutDir(r); err != nil {
		return nil, err
	}
	inv, err := takeInventory(r.SrcDir)
	if err != nil {
		return nil, err
	}
	defer inv.close()
	cp, err := planConversion(inv.planInput(), r)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := newStaging(r.OutDir)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			st.abort()
		}
		st.release()
	}()
	if len(st.stale) > 0 && r.Progress != nil && !r.Quiet {
		fmt.Fprintf(r.Progress, "wanconv: removed %d staging director(ies) left by an interrupted run: %s\n",
			len(st.stale), strings.Join(st.stale, ", "))
	}
	m := newManifest(r, inv, cp)
	st.generatesConfig = r.layout.Name == mapping.LayoutMLXVideo
	if err := copyVerbatim(ctx, inv, st, m); err != nil {
		return nil, err
	}
	var pw = r.Progress
	if r.Quiet {
		pw = nil
	}
	prog := newProgress(pw, r.ProgressBar, cp.totalSize)
	written, warnings, err := writeTensorFiles(ctx, cp, inv.sources, st, prog)
	prog.finish()
	if err != nil {
		return nil, err
	}
	sum := &Summary{OutDir: r.OutDir, Warnings: warnings, Manifest: m}
	for i, f := range cp.files {
		m.addTensorFile(f, written[i])
		sum.Bytes += written[i].bytes
	}
	sum.Tensors, sum.Params = paramCount(cp.files)
	generated, err := generatedFiles(r, cp)
	if err != nil {
		return nil, err
	}
	for _, g := range generated {
		if err := writeNewFile(st.path(g.Path), g.data); err != nil {
			return nil, err
		}
		m.Files = append(m.Files, g.OutputFile)
	}
	m.Warnings = append(m.Warnings, warnings...)
	m.sortFiles()
	mj, err := encodeJSON(m)
	if err != nil {
		return nil, err
	}
	if err := writeNewFile(st.path(outManifest), mj); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	names := []string{outManifest, outTokenizer}
	for _, f := range m.Files {
		if !strings.HasPrefix(f.Path, outTokenizer+"/") && !slices.Contains(names, f.Path) {
			names = append(names, f.Path)
		}
	}
	if err := st.commit(names); err != nil {
		return nil, err
	}
	committed = true
	sum.Files = len(m.Files) + 1
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

// checkOutDir refuses, before any work, an output directory that would
// overwrite the source or (without Force) existing outputs.
func checkOutDir(r *resolvedOptions) error {
	// os.SameFile sees through symbolic links and different spellings.
	srcInfo, err1 := os.Stat(r.SrcDir)
	outInfo, err2 := os.Stat(r.OutDir)
	if err1 == nil && err2 == nil && os.SameFile(srcInfo, outInfo) {
		return usageErrorf("output directory %s is the source directory", r.OutDir)
	}
	if st, err := os.Stat(r.OutDir); err == nil && !st.IsDir() {
		return usageErrorf("output %s exists and is not a directory", r.OutDir)
	}
	if r.Force {
		return nil
	}
	found, err := existingOutputs(r.OutDir)
	if err != nil {
		return inputError(err)
	}
	if len(found) > 0 {
		return usageErrorf("output directory %s already holds %s; use --force to replace", r.OutDir, strings.Join(found, ", "))
	}
	return nil
}

// copyVerbatim copies config files and the tokenizer folder into staging.
func copyVerbatim(ctx context.Context, inv *inventory, st *staging, m *Manifest) error {
	if err := os.MkdirAll(st.path(outTokenizer), 0o755); err != nil {
		return err
	}
	for _, rel := range inv.copies {
		if rel == srcConfig && st.generatesConfig {
			continue // the layout writes its own config.json
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		h := sha256.New()
		n, err := copyFile(st.path(rel), filepath.Join(inv.srcDir, rel), h)
		if err != nil {
			return err
		}
		m.Files = append(m.Files, OutputFile{Path: filepath.ToSlash(rel), Kind: "copy", SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n})
	}
	return nil
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// summaryLine is the one-line report Main prints.
func (s *Summary) summaryLine() string {
	return fmt.Sprintf("wanconv: %d files, %d tensors, %d parameters, %s in %.1f s → %s",
		s.Files, s.Tensors, s.Params, units.Bytes(s.Bytes), s.Seconds, s.OutDir)
}

// generated is a small output file the converter writes itself.
type generated struct {
	OutputFile
	data []byte
}

// generatedFiles are the layout's index and config files: the DiT's shard
// index (wanconv layout) or mlx-video's complete config.json.
func generatedFiles(r *resolvedOptions, cp *conversionPlan) ([]generated, error) {
	var out []generated
	if r.layout.DiTIndexed {
		idx, err := ditIndexJSON(cp)
		if err != nil {
			return nil, err
		}
		out = append(out, generated{OutputFile{Path: r.layout.DiTIndex(), Kind: "index", Component: "dit", SHA256: sha256Hex(idx), Bytes: int64(len(idx))}, idx})
	}
	if r.layout.Name == mapping.LayoutMLXVideo {
		dit, _ := cp.archs[mapping.ComponentDiT].(*mapping.DiTArch)
		t5, _ := cp.archs[mapping.ComponentT5].(*mapping.T5Arch)
		vae, _ := cp.archs[mapping.ComponentVAE].(*mapping.VAEArch)
		kind, err := mapping.ReleaseKindOf(dit, 1)
		if err != nil {
			return nil, inputError(fmt.Errorf("--layout mlx-video: %w", err))
		}
		cfg, err := mapping.MLXVideoConfig(kind, dit, t5, vae)
		if err != nil {
			return nil, inputError(fmt.Errorf("--layout mlx-video: config.json: %w", err))
		}
		out = append(out, generated{OutputFile{Path: layout.Config, Kind: "config", SHA256: sha256Hex(cfg), Bytes: int64(len(cfg))}, cfg})
	}
	return out, nil
}
