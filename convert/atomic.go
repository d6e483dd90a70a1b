package convert

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/layout"
)

// Outputs are written into a staging directory inside OUT_DIR
// (".wanconv-tmp-*", same filesystem) and renamed into place only after
// every file has been written and fsynced; then OUT_DIR itself is fsynced.
// On any error or cancellation the staging directory is removed, so OUT_DIR
// never holds a partial output.

const stagingPrefix = ".wanconv-tmp-"

// sink is an output file being written.
type sink interface {
	io.WriterAt
	Sync() error
	Close() error
}

// createSink creates an output file; tests replace it to simulate a full disk.
var createSink = func(path string) (sink, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
}

// errOutDirBusy: another conversion holds OUT_DIR's lock.
var errOutDirBusy = errors.New("another wanconv run is writing to it")

// staging is the temporary directory of one conversion.
type staging struct {
	generatesConfig bool // the layout writes config.json itself
	outDir          string
	dir             string
	createdOut      bool     // OUT_DIR did not exist before
	unlock          func()   // releases OUT_DIR's lock
	stale           []string // staging directories of killed runs, removed
}

// newStaging locks OUT_DIR (creating it if needed), removes staging
// directories that killed runs left behind, and creates this run's.
func newStaging(outDir string) (*staging, error) {
	st := &staging{outDir: outDir, unlock: func() {}}
	if _, err := os.Stat(outDir); errors.Is(err, fs.ErrNotExist) {
		st.createdOut = true
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, inputError(fmt.Errorf("output directory %s cannot be created: %w", outDir, err))
	}
	unlock, err := lockDir(outDir)
	if err != nil {
		st.removeOutDirIfCreated()
		return nil, inputError(fmt.Errorf("output directory %s: %w", outDir, err))
	}
	st.unlock = unlock
	if canLockDirs {
		st.removeStale()
	}
	dir, err := os.MkdirTemp(outDir, stagingPrefix)
	if err != nil {
		st.release()
		st.removeOutDirIfCreated()
		return nil, inputError(fmt.Errorf("output directory %s is not writable: %w", outDir, err))
	}
	st.dir = dir
	return st, nil
}

// removeStale deletes staging directories no live run owns (we hold the lock).
func (st *staging) removeStale() {
	entries, err := os.ReadDir(st.outDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), stagingPrefix) {
			if os.RemoveAll(filepath.Join(st.outDir, e.Name())) == nil {
				st.stale = append(st.stale, e.Name())
			}
		}
	}
}

// release unlocks OUT_DIR (safe to call more than once).
func (st *staging) release() {
	st.unlock()
	st.unlock = func() {}
}

// path is where an output (relative name) is staged.
func (st *staging) path(rel string) string { return filepath.Join(st.dir, rel) }

// abort removes everything staged (and OUT_DIR when this run created it).
func (st *staging) abort() {
	_ = os.RemoveAll(st.dir)
	st.release()
	st.removeOutDirIfCreated()
}

func (st *staging) removeOutDirIfCreated() {
	if st.createdOut {
		_ = os.Remove(st.outDir) // only succeeds when empty
	}
}

// commit moves the staged outputs (top-level names under the staging
// directory) into OUT_DIR, replacing existing ones and removing stale DiT
// shards of an earlier conversion, then fsyncs OUT_DIR.
func (st *staging) commit(names []string) error {
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	existing, err := existingOutputs(st.outDir)
	if err != nil {
		return err
	}
	// Move every output this run replaces (and stale DiT shards of an
	// earlier run) aside into the staging directory first, so that a
	// failure halfway through can put the previous outputs back.
	backup := filepath.Join(st.dir, ".previous")
	var saved, placed []string
	restore := func(cause error) error {
		for _, n := range placed {
			_ = os.RemoveAll(filepath.Join(st.outDir, n))
		}
		for _, n := range saved {
			_ = os.Rename(filepath.Join(backup, n), filepath.Join(st.outDir, n))
		}
		return cause
	}
	for _, e := range existing {
		if !keep[e] && !layout.Wanconv.IsDiTFile(e) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(backup, e)), 0o755); err != nil {
			return restore(err)
		}
		if err := os.Rename(filepath.Join(st.outDir, e), filepath.Join(backup, e)); err != nil {
			return restore(fmt.Errorf("setting aside the previous %s: %w", e, err))
		}
		saved = append(saved, e)
	}
	for _, n := range names {
		from, to := st.path(n), filepath.Join(st.outDir, n)
		if fi, err := os.Stat(from); err == nil && fi.IsDir() {
			if err := syncDir(from); err != nil {
				return restore(err)
			}
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return restore(err)
			}
		}
		if err := renameInto(from, to); err != nil {
			return restore(fmt.Errorf("moving %s into place: %w", n, err))
		}
		placed = append(placed, n)
	}
	_ = os.RemoveAll(st.dir)
	for _, d := range []string{filepath.Join(st.outDir, filepath.Dir(outTokenizer)), st.outDir} {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// renameInto is os.Rename, a variable so tests can make a rename fail.
var renameInto = os.Rename

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}

// existingOutputs lists the output names already present in outDir.
func existingOutputs(outDir string) ([]string, error) {
	entries, err := os.ReadDir(outDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("output directory %s: %w", outDir, err)
	}
	fixed := map[string]bool{srcConfig: true, srcConfiguration: true, outManifest: true}
	for _, l := range layout.Layouts {
		fixed[l.DiTIndex()], fixed[l.T5], fixed[l.VAE] = true, true, true
	}
	var found []string
	for _, e := range entries {
		n := e.Name()
		isDiT := false
		for _, l := range layout.Layouts {
			isDiT = isDiT || l.IsDiTFile(n)
		}
		if fixed[n] || isDiT {
			found = append(found, n)
		}
	}
	if _, err := os.Lstat(filepath.Join(outDir, outTokenizer)); err == nil {
		found = append(found, filepath.ToSlash(outTokenizer))
	}
	sort.Strings(found)
	return found, nil
}

// copyFile copies src to a new file dst (fsynced), also feeding every byte
// to w (a hash), and returns the size.
func copyFile(dst, src string, w io.Writer) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, inputError(err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.MultiWriter(out, w), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("copying %s: %w", src, err)
	}
	return n, nil
}

// create makes an output file in the staging directory (fileStore).
func (st *staging) create(name string) (sink, error) { return createSink(st.path(name)) }

// display is where the file will be once committed (fileStore).
func (st *staging) display(name string) string { return filepath.Join(st.outDir, name) }
