package convert

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/tensor"
)

// TestCancelEndsABlockedRead (class 1): cancelling the context reaches a
// conversion whose read is blocked: Convert returns context.Canceled and
// leaves neither OUT_DIR (which it created) nor a staging directory.
// cmd/wanconv's TestSIGINTEndsABlockedRun sends the real SIGINT.
func TestCancelEndsABlockedRead(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := withStorage(testStorage{wrapPth: func(p string, s tensor.Source) tensor.Source {
		if filepath.Base(p) != srcVAE {
			return s
		}
		return blockingSource{SectionSource: s.(tensor.SectionSource), ctx: ctx, entered: cancel}
	}})
	base := t.TempDir()
	_, err := convertIn(ctx, Options{SrcDir: tinyDir, OutDir: filepath.Join(base, "a", "out")}, e)
	require.ErrorIs(t, err, context.Canceled)
	require.NoDirExists(t, filepath.Join(base, "a"))
}

// blockingSource's readers block until ctx is done, then fail with its
// error, like a read that honours cancellation; entered runs when a read
// starts blocking.
type blockingSource struct {
	tensor.SectionSource
	ctx     context.Context
	entered func()
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
	r.entered()
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

var _ io.ReaderAt = blockingReader{}
