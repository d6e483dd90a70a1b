package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wanconv/wanconv/internal/safefs"
)

// The commit replaces the previous outputs (exactly the files the previous
// manifest lists) by the staged ones so that a kill -9 at any instant
// leaves OUT_DIR with the complete old set, the complete new set, or the
// recovery folder .wanconv-recovery, which the next run (under the lock,
// before anything else) completes or rolls back:
//
//  1. journal: the staging directory gets journal.json naming the old and
//     the new files (fsynced);
//  2. mark: the staging directory is renamed to .wanconv-recovery;
//  3. aside: every old file is renamed into .wanconv-recovery/old/;
//  4. place: every new file is renamed from .wanconv-recovery/new/ into
//     OUT_DIR, the manifest last; a name already taken is an error;
//  5. sync, then cleanup: .wanconv-recovery is renamed to a staging name
//     and removed.
//
// Recovery: when no file is left in new/, every new file is in place and
// the folder is just removed; otherwise the placed new files are removed
// and every file in old/ goes back. Each step is idempotent, so a kill
// during recovery is recovered by the run after.

const (
	recoveryDir = ".wanconv-recovery"
	journalName = "journal.json"
	doneDir     = stagingPrefix + "done"
	maxJournal  = 64 << 20
)

// journal is what a commit is about to do.
type journal struct {
	Old []string `json:"old"` // previous outputs, moved aside (slash-separated)
	New []string `json:"new"` // staged outputs, placed in this order
}

// commit moves the staged outputs (names, slash-separated) into OUT_DIR,
// replacing the files of prev that exist; st.env observes every step
// (commitStep) and does the renames of the aside and place steps.
func (st *staging) commit(prev, names []string) error {
	o := st.out.o
	j := journal{New: names}
	for _, p := range prev {
		if _, err := o.Lstat(p); err == nil {
			j.Old = append(j.Old, p)
		} else if safefs.IsHostile(err) {
			return inputError(err)
		}
	}
	step := func(s string) error {
		if st.env.commitStep == nil {
			return nil
		}
		if err := st.env.commitStep(s); err != nil {
			st.killed = true
			return err
		}
		return nil
	}
	if err := step("journal"); err != nil {
		return err
	}
	raw, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := writeNewFileIn(o, path.Join(st.name, journalName), raw); err != nil {
		return err
	}
	if err := o.SyncDir(st.name); err != nil {
		return err
	}
	if err := step("mark"); err != nil {
		return err
	}
	if err := o.Rename(st.name, recoveryDir); err != nil {
		return err
	}
	st.name = recoveryDir
	if err := o.SyncDir("."); err != nil {
		return st.rollback(j, err)
	}
	for _, p := range j.Old {
		if err := step("aside " + p); err != nil {
			return err
		}
		aside := path.Join(recoveryDir, "old", p)
		if err := o.MkdirAll(path.Dir(aside)); err != nil {
			return st.rollback(j, err)
		}
		if err := st.env.storage.rename(o, p, aside); err != nil {
			return st.rollback(j, fmt.Errorf("setting aside the previous %s: %w", p, err))
		}
	}
	for _, p := range j.New {
		if err := step("place " + p); err != nil {
			return err
		}
		if _, err := o.Lstat(p); err == nil {
			return st.rollback(j, usageErrorf("%s appeared during the commit; no wanconv manifest lists it", o.Path(p)))
		}
		if err := o.MkdirAll(path.Dir(p)); err != nil {
			return st.rollback(j, err)
		}
		if err := st.env.storage.rename(o, path.Join(recoveryDir, "new", p), p); err != nil {
			return st.rollback(j, fmt.Errorf("moving %s into place: %w", p, err))
		}
	}
	if err := step("sync"); err != nil {
		return err
	}
	for _, d := range outputDirs(j.New) {
		if err := o.SyncDir(d); err != nil {
			return err
		}
	}
	if err := step("cleanup"); err != nil {
		return err
	}
	finishCommit(o, j)
	return nil
}

// rollback puts the previous outputs back after a failed commit step; if
// that fails too, the recovery folder stays for the next run.
func (st *staging) rollback(j journal, cause error) error {
	if err := rollBack(st.out.o, j); err != nil {
		st.killed = true // keep the recovery folder
		return fmt.Errorf("%w; restoring the previous outputs failed too (%v): the next wanconv run into %s restores them from %s",
			cause, err, st.outDir, recoveryDir)
	}
	finishCommit(st.out.o, j)
	return cause
}

// rollBack removes the new files already placed and moves every old file
// set aside back.
func rollBack(o *safefs.OutDir, j journal) error {
	for _, p := range slices.Backward(j.New) {
		if exists(o, path.Join(recoveryDir, "new", p)) || !exists(o, p) {
			continue // not placed
		}
		if err := o.Remove(p); err != nil {
			return err
		}
	}
	for _, p := range j.Old {
		aside := path.Join(recoveryDir, "old", p)
		if !exists(o, aside) {
			continue // never moved
		}
		if err := o.MkdirAll(path.Dir(p)); err != nil {
			return err
		}
		if err := o.Rename(aside, p); err != nil {
			return err
		}
	}
	removeEmptyDirs(o, j.New, j.Old)
	return nil
}

// finishCommit removes the recovery folder (first renamed to a staging
// name, so a kill while removing it leaves only a stale staging
// directory) and directories the old set needed and the new one does not.
func finishCommit(o *safefs.OutDir, j journal) {
	_ = o.RemoveAll(doneDir)
	if o.Rename(recoveryDir, doneDir) == nil {
		_ = o.RemoveAll(doneDir)
	}
	removeEmptyDirs(o, j.Old, j.New)
}

// removeEmptyDirs removes the (empty) directories of the files in gone
// that no file of keep lives in.
func removeEmptyDirs(o *safefs.OutDir, gone, keep []string) {
	needed := map[string]bool{}
	for _, p := range keep {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			needed[d] = true
		}
	}
	dirs := outputDirs(gone)
	for _, d := range slices.Backward(dirs) {
		if d != "." && !needed[d] {
			_ = o.Remove(d) // fails unless empty
		}
	}
}

// outputDirs lists "." and every directory the files live in, parents first.
func outputDirs(files []string) []string {
	set := map[string]bool{".": true}
	for _, p := range files {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			set[d] = true
		}
	}
	dirs := make([]string, 0, len(set))
	for d := range set {
		dirs = append(dirs, d)
	}
	depth := func(d string) int {
		if d == "." {
			return 0
		}
		return strings.Count(d, "/") + 1
	}
	slices.SortFunc(dirs, func(a, b string) int {
		if c := depth(a) - depth(b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return dirs
}

func exists(o *safefs.OutDir, rel string) bool {
	_, err := o.Lstat(rel)
	return err == nil
}

// recoverCommit completes or rolls back a commit a killed run left in
// OUT_DIR, and says which (empty when there was none).
func recoverCommit(o *safefs.OutDir) (string, error) {
	fi, err := o.Lstat(recoveryDir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	folder := o.Path(recoveryDir)
	if err != nil {
		return "", inputError(err)
	}
	if !fi.IsDir() {
		return "", usageErrorf("%s is not a directory; remove it", folder)
	}
	raw, err := o.ReadFile(path.Join(recoveryDir, journalName), maxJournal)
	if err != nil {
		return "", fmt.Errorf("%s holds the outputs of an interrupted run but its journal is unreadable (%v); restore them by hand", folder, err)
	}
	var j journal
	if err := json.Unmarshal(raw, &j); err != nil {
		return "", fmt.Errorf("%s: damaged journal (%v); restore the outputs by hand", folder, err)
	}
	for _, p := range append(slices.Clone(j.Old), j.New...) {
		if !isOutputPath(p) {
			return "", usageErrorf("%s: journal names %q, which wanconv never writes; restore the outputs by hand", folder, p)
		}
	}
	complete := true
	for _, p := range j.New {
		if exists(o, path.Join(recoveryDir, "new", p)) {
			complete = false
			break
		}
	}
	if complete {
		finishCommit(o, j)
		return "completed the commit of an interrupted run (its new outputs were all in place)", nil
	}
	if err := rollBack(o, j); err != nil {
		return "", fmt.Errorf("restoring the previous outputs from %s: %w", folder, err)
	}
	finishCommit(o, j)
	return "restored the previous outputs from the commit of an interrupted run", nil
}

// writeNewFileIn writes data to a new file rel of o and fsyncs it.
func writeNewFileIn(o *safefs.OutDir, rel string, data []byte) error {
	f, err := o.Create(rel)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", o.Path(filepath.FromSlash(rel)), err)
	}
	return nil
}
