//go:build unix

package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/tensor"
)

// TestSIGINTEndsABlockedRun (class 1): SIGINT reaches a conversion whose
// read is blocked (in a re-executed child running Main, with its real
// signal handling): it exits 130 and leaves neither OUT_DIR (which it
// created) nor a staging directory.
func TestSIGINTEndsABlockedRun(t *testing.T) {
	base := t.TempDir()
	out, ready := filepath.Join(base, "a", "out"), filepath.Join(base, "ready")
	args, _ := json.Marshal([]string{"--quiet", tinyDir, out})
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "WANCONV_SIGNAL_READY="+ready, "WANCONV_SIGNAL_ARGS="+string(args))
	var output syncBuffer
	cmd.Stdout, cmd.Stderr = &output, &output
	require.NoError(t, cmd.Start())
	// wait (bounded) for the child to block in its read
	for i := 0; ; i++ {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		require.Less(t, i, 6000, "child never reached the blocking read: %s", output.String())
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	err := cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, output.String())
	require.Equal(t, ExitInterrupted, ee.ExitCode(), output.String())
	require.Contains(t, output.String(), "wanconv: interrupted; no output written")
	require.NoDirExists(t, filepath.Join(base, "a"))
}

// TestSignalChild runs Main with a VAE read that blocks until SIGINT; it
// does nothing in a normal test run.
func TestSignalChild(t *testing.T) {
	ready := os.Getenv("WANCONV_SIGNAL_READY")
	if ready == "" {
		t.Skip("only run re-executed by TestSIGINTEndsABlockedRun")
	}
	var args []string
	require.NoError(t, json.Unmarshal([]byte(os.Getenv("WANCONV_SIGNAL_ARGS")), &args))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	orig := openPthSource
	openPthSource = func(o opener, p string) (tensor.Source, error) {
		s, err := orig(o, p)
		if err != nil || filepath.Base(p) != srcVAE {
			return s, err
		}
		return blockingSource{SectionSource: s.(tensor.SectionSource), ready: ready, sig: sig}, nil
	}
	code := Main(args, os.Stdout, os.Stderr)
	os.Exit(code)
}

// blockingSource's readers block until a signal arrives, then fail with
// context.Canceled, like a read that honours cancellation.
type blockingSource struct {
	tensor.SectionSource
	ready string
	sig   chan os.Signal
}

type blockingReader struct {
	blockingSource
	size int64
}

func (b blockingSource) Section(name string) (tensor.SectionReader, bool, error) {
	in, _ := b.Lookup(name)
	return blockingReader{b, in.NumBytes()}, true, nil
}

func (r blockingReader) Size() int64 { return r.size }

func (r blockingReader) ReadAt(p []byte, off int64) (int, error) {
	_ = os.WriteFile(r.ready, nil, 0o644)
	<-r.sig
	return 0, context.Canceled
}

var _ io.ReaderAt = blockingReader{}

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
