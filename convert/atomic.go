package convert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wanconv/wanconv/internal/safefs"
)

// Outputs are written into a staging directory inside OUT_DIR
// (".wanconv-tmp-*", same filesystem, under "new/") and moved into place
// only after every file has been written and fsynced (see commit.go). On
// any error or cancellation before the commit the staging directory is
// removed, so OUT_DIR never holds a partial output.

const stagingPrefix = ".wanconv-tmp-"

// sink is an output file being written.
type sink interface {
	io.WriterAt
	Sync() error
	Close() error
}

// errOutDirBusy: another conversion holds OUT_DIR's lock.
var errOutDirBusy = errors.New("another wanconv run is writing to it")

// staging is the temporary directory of one conversion.
type staging struct {
	generatesConfig bool // the layout writes config.json itself
	out             *outDir
	outDir          string // OUT_DIR as given, for messages
	name            string // the staging directory's name in OUT_DIR
	killed          bool   // env.commitStep stopped the run dead: leave everything as is
	env             env
}

// newStaging creates this run's staging directory in the locked OUT_DIR;
// its outputs are created and moved through e.
func newStaging(d *outDir, e env) (*staging, error) {
	name, err := d.o.MkdirTemp(stagingPrefix)
	if err == nil {
		err = d.o.MkdirAll(filepath.Join(name, "new"))
	}
	if err != nil {
		return nil, inputError(fmt.Errorf("output directory %s is not writable: %w", d.path, err))
	}
	return &staging{out: d, outDir: d.path, name: name, env: e}, nil
}

// rel is where an output (relative name) is staged, relative to OUT_DIR.
func (st *staging) rel(name string) string { return filepath.Join(st.name, "new", name) }

// path is the full path where an output is staged.
func (st *staging) path(name string) string { return filepath.Join(st.outDir, st.rel(name)) }

// abort removes everything staged (unless a test simulated a kill).
func (st *staging) abort() {
	if !st.killed {
		_ = st.out.o.RemoveAll(st.name)
	}
}

// copyFile copies the regular file rel of the release into staging as a
// new file (fsynced), feeding every byte to w (a hash). Exactly the size
// fstat reported when the file was opened is copied; ctx is checked
// between chunks.
func copyFile(ctx context.Context, st *staging, src *safefs.Root, rel string, w io.Writer) (int64, error) {
	in, err := src.Open(rel)
	if err != nil {
		return 0, inputError(err)
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return 0, err
	}
	dst := st.path(rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := copyN(ctx, io.MultiWriter(out, w), in, fi.Size())
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return 0, inputError(fmt.Errorf("copying %s: it shrank while being copied (%d of %d bytes)", src.Path(rel), n, fi.Size()))
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 0, err
		}
		return 0, fmt.Errorf("copying %s: %w", src.Path(rel), err)
	}
	return n, nil
}

// create makes an output file in the staging directory (fileStore), and
// the folder it goes in (an A14B expert's).
func (st *staging) create(name string) (sink, error) {
	p := st.path(name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, err
	}
	return st.env.storage.create(p)
}

// display is where the file will be once committed (fileStore).
func (st *staging) display(name string) string { return filepath.Join(st.outDir, name) }

// copyChunk is the piece copied between cancellation checks.
const copyChunk = 1 << 20

// copyN copies exactly n bytes, checking ctx before every chunk.
func copyN(ctx context.Context, dst io.Writer, src io.Reader, n int64) (int64, error) {
	var done int64
	for done < n {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		c, err := io.CopyN(dst, src, min(copyChunk, n-done))
		done += c
		if err == io.EOF {
			return done, io.ErrUnexpectedEOF
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}
