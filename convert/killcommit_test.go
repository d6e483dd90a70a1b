//go:build unix

package convert

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/layout"
)

// Class 7 of issue 10: a kill -9 at any step of the commit leaves OUT_DIR
// with the complete old outputs, the complete new ones, or the recovery
// folder, and the next run, even one that then fails, restores a complete
// set instead of deleting the folder.

var (
	oldOpt = Options{MaxShardSize: 600_000}                                            // sharded DiT
	newOpt = Options{Force: true, ComponentDType: map[string]string{"dit": "float32"}} // one float32 DiT file
)

// into is opt converting the tiny release into out.
func into(opt Options, out string) Options {
	opt.SrcDir, opt.OutDir = tinyDir, out
	return opt
}

// errKilled stands for the process dying at a commit step.
var errKilled = errors.New("killed at a commit step")

// outputSets converts the tiny release the old and the new way and
// returns both directories' contents.
func outputSets(t *testing.T) (oldOut string, oldSet, newSet map[string]string) {
	t.Helper()
	oldOut = filepath.Join(t.TempDir(), "old")
	_, err := Convert(context.Background(), into(oldOpt, oldOut))
	require.NoError(t, err)
	ref := filepath.Join(t.TempDir(), "new")
	_, err = Convert(context.Background(), into(newOpt, ref))
	require.NoError(t, err)
	oldSet, newSet = snapshot(t, oldOut), snapshot(t, ref)
	require.NotEqual(t, oldSet, newSet)
	return oldOut, oldSet, newSet
}

// commitSteps records the step names of one --force commit.
func commitSteps(t *testing.T, oldOut string) []string {
	t.Helper()
	out := copyTree(t, oldOut)
	var steps []string
	e := commitEnv(func(s string) error { steps = append(steps, s); return nil })
	_, err := convertIn(context.Background(), into(newOpt, out), e)
	require.NoError(t, err)
	require.Contains(t, steps, "aside "+outManifest)
	require.Equal(t, "place "+outManifest, steps[len(steps)-3], "the manifest is placed last")
	return steps
}

// killAt is the real environment stopping the run dead with err before
// the commit step named step.
func killAt(step string, err error) env {
	return commitEnv(func(s string) error {
		if s == step {
			return err
		}
		return nil
	})
}

// requireOldNewOrRecovery checks the state right after a kill.
func requireOldNewOrRecovery(t *testing.T, out string, oldSet, newSet map[string]string, step string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(out, recoveryDir)); err == nil {
		return
	}
	now := withoutStaging(snapshot(t, out))
	require.True(t, equalSets(now, oldSet) || equalSets(now, newSet), "killed at %q: neither the old nor the new set", step)
}

// requireRecovered checks that the run after the kill left exactly the old
// or the new set, and no recovery or staging folder; it returns which.
func requireRecovered(t *testing.T, out string, oldSet, newSet map[string]string, step string) string {
	t.Helper()
	for _, f := range treeFiles(t, out) {
		require.False(t, strings.HasPrefix(f, ".wanconv"), "killed at %q: %s left behind", step, f)
	}
	now := snapshot(t, out)
	switch {
	case equalSets(now, oldSet):
		return "old"
	case equalSets(now, newSet):
		return "new"
	}
	t.Fatalf("killed at %q: after recovery OUT_DIR holds neither set: %v", step, keys(now))
	return ""
}

// wantAfter is the set a kill at step should leave once recovered: the new
// set once every new file (the manifest last) is in place.
func wantAfter(step string) string {
	if step == "sync" || step == "cleanup" {
		return "new"
	}
	return "old"
}

func TestKillAtEveryCommitStep(t *testing.T) {
	t.Parallel()
	if !canLockDirs {
		t.Skip("recovery needs the OUT_DIR lock")
	}
	oldOut, oldSet, newSet := outputSets(t)
	steps := commitSteps(t, oldOut)
	for _, step := range steps {
		t.Run(step, func(t *testing.T) {
			t.Parallel()
			out := copyTree(t, oldOut)
			_, err := convertIn(context.Background(), into(newOpt, out), killAt(step, errKilled))
			require.ErrorIs(t, err, errKilled)
			requireOldNewOrRecovery(t, out, oldSet, newSet, step)

			// the next run fails (no --force, outputs exist) but recovers first
			var log strings.Builder
			_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out, Progress: &log})
			require.ErrorContains(t, err, "already holds")
			require.Equal(t, wantAfter(step), requireRecovered(t, out, oldSet, newSet, step))
			if strings.HasPrefix(step, "aside ") || strings.HasPrefix(step, "place ") {
				require.Contains(t, log.String(), "restored the previous outputs", step)
			}
		})
	}
}

// TestKill9DuringCommit kills a real conversion process (this test binary
// re-executed) with SIGKILL in the middle of placing the new files and
// after all of them are placed.
func TestKill9DuringCommit(t *testing.T) {
	t.Parallel()
	if !canLockDirs {
		t.Skip("recovery needs the OUT_DIR lock")
	}
	oldOut, oldSet, newSet := outputSets(t)
	for _, step := range []string{"aside " + layout.Wanconv.T5, "place " + layout.Wanconv.VAE, "cleanup"} {
		t.Run(step, func(t *testing.T) {
			out := copyTree(t, oldOut)
			cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "WANCONV_KILL_AT="+step, "WANCONV_KILL_OUT="+out)
			outb, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, string(outb))
			ws := ee.Sys().(syscall.WaitStatus)
			require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child was not killed: %s", outb)
			requireOldNewOrRecovery(t, out, oldSet, newSet, step)
			_, err = Convert(context.Background(), Options{SrcDir: tinyDir, OutDir: out})
			require.ErrorContains(t, err, "already holds")
			require.Equal(t, wantAfter(step), requireRecovered(t, out, oldSet, newSet, step))
		})
	}
}

// TestKillChild is the re-executed conversion of TestKill9DuringCommit;
// it does nothing in a normal test run.
func TestKillChild(t *testing.T) {
	step := os.Getenv("WANCONV_KILL_AT")
	if step == "" {
		t.Skip("only run re-executed by TestKill9DuringCommit")
	}
	out := os.Getenv("WANCONV_KILL_OUT")
	dies := commitEnv(func(s string) error {
		if s == step {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return nil
	})
	_, err := convertIn(context.Background(), into(newOpt, out), dies)
	t.Fatalf("conversion finished (error: %v) without reaching step %q", err, step)
}

func withoutStaging(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.HasPrefix(k, stagingPrefix) {
			out[k] = v
		}
	}
	return out
}

func equalSets(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
