package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/layout"
)

// OUT_DIR is prepared in this order, before the release is looked at:
// the source and OUT_DIR must not contain one another; OUT_DIR (and any
// missing parents, remembered) is created; its lock is taken; an
// interrupted commit is recovered and stale staging directories removed;
// only then are existing outputs examined, under the lock.

// outDir is a locked OUT_DIR.
type outDir struct {
	path    string
	o       *safefs.OutDir
	created []string // directories this run created, outermost first
	unlock  func()
	stale   []string // staging directories of killed runs, removed
	note    string   // what recovery did, for the log ("" = nothing)
}

// fixedOutputs are the names wanconv writes besides DiT files, in any
// layout (slash-separated; an A14B expert's index and config.json are in
// its folder in the wanconv layout).
var fixedOutputs = func() []string {
	names := []string{srcConfig, srcConfiguration, outManifest}
	for _, l := range layout.Layouts {
		names = append(names, l.DiTIndex(), l.T5, l.VAE)
		for _, e := range layout.Experts {
			names = append(names, l.ForExpert(e).DiTIndex(), l.ExpertConfig(e))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}()

// isDiTOutput reports whether name is a DiT file of some layout, of a
// single model or of an expert.
func isDiTOutput(name string) bool {
	for _, l := range layout.Layouts {
		if l.IsDiTFile(name) {
			return true
		}
		for _, e := range layout.Experts {
			if l.ForExpert(e).IsDiTFile(name) {
				return true
			}
		}
	}
	return false
}

// isExpertFolder reports whether a top-level name is an expert's folder.
func isExpertFolder(name string) bool {
	_, err := layout.ParseExpert(name)
	return err == nil
}

// isOutputPath reports whether wanconv could have written rel
// (slash-separated).
func isOutputPath(rel string) bool {
	if !filepath.IsLocal(filepath.FromSlash(rel)) || rel != filepath.ToSlash(filepath.Clean(filepath.FromSlash(rel))) {
		return false
	}
	if tok, ok := strings.CutPrefix(rel, filepath.ToSlash(outTokenizer)+"/"); ok {
		return tok != "" && !strings.HasPrefix(tok, stagingPrefix)
	}
	return slices.Contains(fixedOutputs, rel) || isDiTOutput(rel)
}

// checkNesting refuses an OUT_DIR that is the source, lies inside it, or
// contains it, whatever links or spellings are used.
func checkNesting(srcReal, outDirArg string) error {
	outReal, err := realPathOfMaybeMissing(outDirArg)
	if err != nil {
		return inputError(fmt.Errorf("output directory %s: %w", outDirArg, err))
	}
	switch rel, err := filepath.Rel(srcReal, outReal); {
	case err == nil && rel == ".":
		return usageErrorf("output directory %s is the source directory", outDirArg)
	case err == nil && filepath.IsLocal(rel):
		return usageErrorf("output directory %s is inside the source directory %s", outDirArg, srcReal)
	}
	if rel, err := filepath.Rel(outReal, srcReal); err == nil && filepath.IsLocal(rel) {
		return usageErrorf("the source directory %s is inside the output directory %s", srcReal, outDirArg)
	}
	return nil
}

// realPathOfMaybeMissing resolves the links of the longest existing prefix
// of p and appends the rest.
func realPathOfMaybeMissing(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for cur := abs; ; cur = filepath.Dir(cur) {
		real, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		if !errors.Is(err, fs.ErrNotExist) || filepath.Dir(cur) == cur {
			return "", err
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
	}
}

// openOutDir creates OUT_DIR if needed, locks it, recovers an interrupted
// commit and removes stale staging directories.
func openOutDir(path string) (*outDir, error) {
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return nil, usageErrorf("output %s exists and is not a directory", path)
	}
	d := &outDir{path: path, unlock: func() {}}
	if err := d.mkdirs(); err != nil {
		d.removeCreated()
		return nil, err
	}
	unlock, err := lockDir(path)
	if err != nil {
		d.removeCreated()
		return nil, inputError(fmt.Errorf("output directory %s: %w", path, err))
	}
	d.unlock = unlock
	if d.o, err = safefs.OpenOutDir(path); err != nil {
		d.close(false)
		return nil, fmt.Errorf("output directory %s: %w", path, err)
	}
	if d.note, err = recoverCommit(d.o); err != nil {
		d.close(false)
		return nil, err
	}
	if canLockDirs {
		d.removeStale()
	}
	return d, nil
}

// mkdirs creates OUT_DIR and its missing parents, remembering which.
func (d *outDir) mkdirs() error {
	var missing []string
	for cur := filepath.Clean(d.path); ; cur = filepath.Dir(cur) {
		if _, err := os.Lstat(cur); err == nil || filepath.Dir(cur) == cur {
			break
		}
		missing = append([]string{cur}, missing...)
	}
	for _, dir := range missing {
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return inputError(fmt.Errorf("output directory %s cannot be created: %w", d.path, err))
		}
		d.created = append(d.created, dir)
	}
	return nil
}

// removeCreated removes, innermost first, the directories this run
// created, as far as they are empty.
func (d *outDir) removeCreated() {
	for i := len(d.created) - 1; i >= 0; i-- {
		if os.Remove(d.created[i]) != nil {
			return
		}
	}
}

// close releases the lock; after a failed run it also removes the
// directories the run created (when empty).
func (d *outDir) close(succeeded bool) {
	if d.o != nil {
		_ = d.o.Close()
		d.o = nil
	}
	d.unlock()
	d.unlock = func() {}
	if !succeeded {
		d.removeCreated()
	}
}

// removeStale deletes staging directories no live run owns (the lock is
// held); links of that name are removed, never followed.
func (d *outDir) removeStale() {
	entries, err := d.o.ReadDir(".")
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), stagingPrefix) && d.o.RemoveAll(e.Name()) == nil {
			d.stale = append(d.stale, e.Name())
		}
	}
}

// existing lists the output names present in OUT_DIR (top level, the
// tokenizer folder as one name), sorted.
func (d *outDir) existing() ([]string, error) {
	entries, err := d.o.ReadDir(".")
	if err != nil {
		return nil, fmt.Errorf("output directory %s: %w", d.path, err)
	}
	var found []string
	for _, e := range entries {
		if n := e.Name(); slices.Contains(fixedOutputs, n) || isDiTOutput(n) || e.IsDir() && isExpertFolder(n) {
			found = append(found, n)
		}
	}
	if _, err := d.o.Lstat(outTokenizer); err == nil {
		found = append(found, filepath.ToSlash(outTokenizer))
	} else if safefs.IsHostile(err) {
		return nil, inputError(err)
	}
	sort.Strings(found)
	return found, nil
}

// previousOutputs returns the files an earlier wanconv run wrote into
// OUT_DIR, as its manifest lists them (manifest included). Without force
// any existing output is an error.
func (d *outDir) previousOutputs(force bool) ([]string, error) {
	found, err := d.existing()
	if err != nil {
		return nil, err
	}
	if len(found) > 0 && !force {
		return nil, usageErrorf("output directory %s already holds %s; use --force to replace", d.path, strings.Join(found, ", "))
	}
	mpath := d.o.Path(outManifest)
	// read inside the locked OUT_DIR, never through a link
	m, err := layout.ReadManifestWith(func(_ string, max int64) ([]byte, error) { return d.o.ReadFile(outManifest, max) }, mpath)
	var bad *layout.ManifestError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.As(err, &bad), err == nil && m.Tool != layout.ManifestTool:
		return nil, usageErrorf("%s is not a wanconv manifest; --force replaces only what a wanconv manifest lists", mpath)
	case err != nil:
		return nil, inputError(fmt.Errorf("previous manifest: %w", err))
	}
	prev := []string{outManifest}
	for _, f := range m.Files {
		if !isOutputPath(f.Path) {
			return nil, usageErrorf("%s lists %q, which wanconv never writes; refusing to replace it", mpath, f.Path)
		}
		prev = append(prev, f.Path)
	}
	sort.Strings(prev)
	return slices.Compact(prev), nil
}

// checkCollisions refuses to write over a file in OUT_DIR that no previous
// manifest lists (wanconv did not write it).
func (d *outDir) checkCollisions(names, prev []string) error {
	for _, n := range names {
		if slices.Contains(prev, n) {
			continue
		}
		if _, err := d.o.Lstat(n); err == nil {
			return usageErrorf("%s exists and no wanconv manifest lists it; --force replaces only what wanconv wrote", d.o.Path(n))
		} else if safefs.IsHostile(err) {
			return inputError(err)
		}
	}
	return nil
}
