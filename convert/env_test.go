package convert

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/tensor"
)

// testStorage is osStorage with the operations a test sets wrapped or
// replaced, for the one conversion that runs with it.
type testStorage struct {
	osStorage
	// pth and safetensors wrap every checkpoint opened by that reader.
	wrapPth, wrapSafetensors func(path string, s tensor.Source) tensor.Source
	// sink wraps every output file created.
	wrapSink func(sink) sink
	// rename replaces the commit's renames (next is the real one).
	renameWith func(o *safefs.OutDir, from, to string, next func() error) error
}

func (s testStorage) openPth(open opener, path string) (tensor.Source, error) {
	src, err := s.osStorage.openPth(open, path)
	if err != nil || s.wrapPth == nil {
		return src, err
	}
	return s.wrapPth(path, src), nil
}

func (s testStorage) openSafetensors(open opener, path string) (tensor.Source, error) {
	src, err := s.osStorage.openSafetensors(open, path)
	if err != nil || s.wrapSafetensors == nil {
		return src, err
	}
	return s.wrapSafetensors(path, src), nil
}

func (s testStorage) create(path string) (sink, error) {
	k, err := s.osStorage.create(path)
	if err != nil || s.wrapSink == nil {
		return k, err
	}
	return s.wrapSink(k), nil
}

func (s testStorage) rename(o *safefs.OutDir, from, to string) error {
	next := func() error { return s.osStorage.rename(o, from, to) }
	if s.renameWith == nil {
		return next()
	}
	return s.renameWith(o, from, to, next)
}

// withStorage is the real environment with s as its storage.
func withStorage(s testStorage) env {
	e := realEnv()
	e.storage = s
	return e
}

// sinkEnv is the real environment with every output file wrapped by wrap.
func sinkEnv(wrap func(sink) sink) env { return withStorage(testStorage{wrapSink: wrap}) }

// commitEnv is the real environment observing every commit step with hook.
func commitEnv(hook func(step string) error) env {
	e := realEnv()
	e.commitStep = hook
	return e
}

// TestRealEnv: Convert's environment is the filesystem, the real readers,
// no commit observer and the documented limits.
func TestRealEnv(t *testing.T) {
	t.Parallel()
	e := realEnv()
	require.Equal(t, osStorage{}, e.storage)
	require.Nil(t, e.commitStep)
	require.Equal(t, limits{maxTensorBuffer: 256 << 20, quantBlockBytes: 8 << 20}, e.limits)
}

// TestFaultIsPerConversion: a fault injected into one conversion (a full
// disk) does not reach another running at the same time.
func TestFaultIsPerConversion(t *testing.T) {
	t.Parallel()
	full := sinkEnv(func(s sink) sink { return &failingSink{sink: s, limit: 0, err: syscall.ENOSPC} })
	base := t.TempDir()
	outs := []string{filepath.Join(base, "full"), filepath.Join(base, "fine")}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, e := range []env{full, realEnv()} {
		wg.Go(func() {
			_, errs[i] = convertIn(context.Background(), Options{SrcDir: tinyDir, OutDir: outs[i], Quiet: true}, e)
		})
	}
	wg.Wait()
	require.ErrorIs(t, errs[0], syscall.ENOSPC)
	require.NoDirExists(t, outs[0])
	require.NoError(t, errs[1])
	_, err := os.Stat(filepath.Join(outs[1], layout.Wanconv.VAE))
	require.NoError(t, err)
}
