//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSIGINTEndsABlockedRun (class 1): SIGINT reaches a conversion that is
// blocked mid-write (in a re-executed child with the command's real signal
// handling): it exits 130 and leaves neither OUT_DIR (which it created) nor
// a staging directory.
func TestSIGINTEndsABlockedRun(t *testing.T) {
	base := t.TempDir()
	out, ready := filepath.Join(base, "a", "out"), filepath.Join(base, "ready")
	args, _ := json.Marshal([]string{tinyDir, out})
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WANCONV_SIGNAL_READY="+ready, "WANCONV_SIGNAL_ARGS="+string(args))
	var output syncBuffer
	cmd.Stdout, cmd.Stderr = &output, &output
	require.NoError(t, cmd.Start())
	// wait (bounded) for the child to block
	for i := 0; ; i++ {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		require.Less(t, i, 6000, "child never blocked: %s", output.String())
		time.Sleep(10 * time.Millisecond)
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err, "OUT_DIR exists while the child is blocked")
	require.Len(t, entries, 1, "only the staging directory")
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, output.String())
	require.Equal(t, exitInterrupted, ee.ExitCode(), output.String())
	require.Contains(t, output.String(), "wanconv: interrupted; no output written")
	require.NoDirExists(t, filepath.Join(base, "a"))
}

// TestSignalChild runs the command with the signal handling of main and a
// stderr whose first write (the first progress line, while the outputs are
// being written) blocks until the signal has cancelled the run; it does
// nothing in a normal test run.
func TestSignalChild(t *testing.T) {
	ready := os.Getenv("WANCONV_SIGNAL_READY")
	if ready == "" {
		t.Skip("only run re-executed by TestSIGINTEndsABlockedRun")
	}
	var args []string
	require.NoError(t, json.Unmarshal([]byte(os.Getenv("WANCONV_SIGNAL_ARGS")), &args))
	ctx, stop := interruptible()
	defer stop()
	os.Exit(run(ctx, args, os.Stdout, &blockingWriter{ctx: ctx, ready: ready}))
}

// blockingWriter blocks its first write until ctx is done, then passes
// everything to os.Stderr.
type blockingWriter struct {
	ctx   context.Context
	ready string
	once  sync.Once
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		_ = os.WriteFile(w.ready, nil, 0o644)
		<-w.ctx.Done()
	})
	return os.Stderr.Write(p)
}

// syncBuffer collects a child's output from two pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
