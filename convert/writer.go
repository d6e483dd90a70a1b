package convert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"path/filepath"

	"github.com/wanconv/wanconv/tensor"
)

// The writer executes a conversionPlan and makes no decisions. Two
// goroutines share the work: the producer reads each tensor in chunks of
// whole transform units and transforms them; the consumer (the caller's
// goroutine) writes each chunk at its planned offset and feeds the file's
// SHA-256. At most pipelineDepth chunk buffers of about chunkBytes exist,
// so memory stays bounded whatever the checkpoint size. Only a source that
// cannot hand out a tensor's bytes in place (tensor.SectionSource) costs one
// whole-tensor buffer, released when the tensor is done.

const (
	chunkBytes    = 8 << 20
	pipelineDepth = 4
)

// maxTensorBuffer caps the whole-tensor buffer of a tensor that cannot be
// read in place (a deflated zip entry or a strided view): its size is what
// the file claims, not what it holds, so it is bounded independently. The
// tensors of real Wan2.2 releases are all read in place; even so the cap
// is above the largest TI2V-5B VAE tensor (decoder.middle.0.residual.2.weight,
// 113 MB of float32, golden/wan2.2-ti2v-5b.inventory.json).
var maxTensorBuffer int64 = 256 << 20

// chunk is a piece of one output file.
type chunk struct {
	file int
	off  int64
	data []byte
	buf  []byte // pooled buffer to hand back after writing; nil if not pooled
	end  bool   // no more chunks for this file
}

// writtenFile is the outcome of writing one output file.
type writtenFile struct {
	sha256 string
	bytes  int64
	// tensorSHA256 maps each tensor (output name) to the sha256 of its bytes.
	tensorSHA256 map[string]string
}

// writeTensorFiles writes every planned file into the staging directory.
func writeTensorFiles(ctx context.Context, cp *conversionPlan, st *staging, prog *progress) ([]writtenFile, []string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, pipelineDepth)
	pool := make(chan []byte, pipelineDepth)
	for i := 0; i < pipelineDepth; i++ {
		pool <- nil
	}
	p := &producer{ctx: ctx, out: chunks, pool: pool}
	done := make(chan error, 1)
	go func() {
		err := p.run(cp.files)
		close(chunks)
		done <- err
	}()
	results, werr := consume(ctx, cp.files, chunks, pool, st, prog)
	if werr != nil {
		cancel()
		for range chunks { // let the producer finish
		}
	}
	perr := <-done
	switch {
	case werr != nil && !errors.Is(werr, context.Canceled):
		return nil, nil, werr
	case perr != nil:
		return nil, nil, perr
	case werr != nil:
		return nil, nil, werr
	}
	return results, p.warnings, nil
}

// consume writes chunks in arrival order (the producer emits each file's
// chunks consecutively and in offset order) and hashes them. A finished
// file is fsynced and closed by a background goroutine, so reading the next
// file overlaps the flush; every flush is awaited before consume returns.
func consume(ctx context.Context, files []*plannedFile, chunks <-chan chunk, pool chan<- []byte, st *staging, prog *progress) (_ []writtenFile, err error) {
	results := make([]writtenFile, len(files))
	var (
		out     sink
		h       hash.Hash
		th      *tensorHasher
		next    int64
		cur     = -1
		pending int
		synced  = make(chan error, len(files))
	)
	defer func() {
		if out != nil {
			_ = out.Close()
		}
		for ; pending > 0; pending-- {
			if serr := <-synced; serr != nil && err == nil {
				err = serr
			}
		}
	}()
	for c := range chunks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f := files[c.file]
		name := filepath.Join(st.outDir, f.name) // as the user will know it
		if c.file != cur {
			var err error
			if out, err = createSink(st.path(f.name)); err != nil {
				return nil, fmt.Errorf("creating %s: %w", name, err)
			}
			cur, h, th, next = c.file, sha256.New(), newTensorHasher(f.tensors), 0
		}
		if c.end {
			if next != f.size {
				return nil, fmt.Errorf("internal error: %s has %d bytes, planned %d", f.name, next, f.size)
			}
			pending++
			go func(o sink) { synced <- syncClose(o, name) }(out)
			out = nil
			if !th.complete() {
				return nil, fmt.Errorf("internal error: %s: not every tensor was written", f.name)
			}
			results[c.file] = writtenFile{sha256: hex.EncodeToString(h.Sum(nil)), bytes: next, tensorSHA256: th.sums}
			prog.fileDone(f.name, next)
			continue
		}
		if c.off != next {
			return nil, fmt.Errorf("internal error: %s: chunk at %d, expected %d", f.name, c.off, next)
		}
		if _, err := out.WriteAt(c.data, c.off); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
		h.Write(c.data)
		th.write(c.off, c.data)
		next += int64(len(c.data))
		prog.add(int64(len(c.data)))
		if c.buf != nil {
			pool <- c.buf
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}

// syncClose flushes an output file to disk and closes it.
func syncClose(o sink, name string) error {
	err := o.Sync()
	if cerr := o.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("flushing %s: %w", name, err)
	}
	return nil
}

// producer reads and transforms tensors into chunks.
type producer struct {
	ctx      context.Context
	out      chan<- chunk
	pool     chan []byte
	in       []byte // read buffer for transformed tensors
	scratch  []byte // permutation buffer when a cast follows
	warnings []string
}

func (p *producer) send(c chunk) error {
	select {
	case p.out <- c:
		return nil
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
}

// buffer takes a pooled buffer of at least n bytes.
func (p *producer) buffer(n int) ([]byte, error) {
	select {
	case b := <-p.pool:
		if cap(b) < n {
			b = make([]byte, max(n, chunkBytes))
		}
		return b[:n], nil
	case <-p.ctx.Done():
		return nil, p.ctx.Err()
	}
}

func (p *producer) run(files []*plannedFile) error {
	for fi, f := range files {
		if err := p.send(chunk{file: fi, off: 0, data: f.header}); err != nil {
			return err
		}
		for i := range f.tensors {
			if err := p.tensor(fi, &f.tensors[i]); err != nil {
				return err
			}
		}
		if err := p.send(chunk{file: fi, off: f.size, end: true}); err != nil {
			return err
		}
	}
	return nil
}

// reader returns a ReadAt over the tensor's source bytes: in place when the
// source allows it, else from a whole-tensor buffer.
func (p *producer) reader(t *plannedTensor) (func(dst []byte, off int64) error, error) {
	if ss, ok := t.src.(tensor.SectionSource); ok {
		r, ok, err := ss.Section(t.info.Name)
		if err != nil {
			return nil, inputError(err)
		}
		if ok {
			if r.Size() != t.info.NumBytes() {
				return nil, inputError(fmt.Errorf("%s: tensor %s: stored bytes %d, shape needs %d",
					t.src.Path(), t.info.Name, r.Size(), t.info.NumBytes()))
			}
			return func(dst []byte, off int64) error {
				n, err := r.ReadAt(dst, off)
				if n == len(dst) {
					return nil
				}
				return inputError(fmt.Errorf("%s: tensor %s: reading %d bytes at %d: %w", t.src.Path(), t.info.Name, len(dst), off, err))
			}, nil
		}
	}
	if n := t.info.NumBytes(); n > maxTensorBuffer {
		return nil, inputError(fmt.Errorf("%s: tensor %s is stored compressed or non-contiguous, so converting it needs a %d-byte buffer, more than the %d allowed; re-save the checkpoint with torch.save (uncompressed, contiguous tensors)",
			t.src.Path(), t.info.Name, n, int64(maxTensorBuffer)))
	}
	whole := make([]byte, t.info.NumBytes())
	if err := t.src.ReadTensor(t.info.Name, whole); err != nil {
		return nil, inputError(err)
	}
	return func(dst []byte, off int64) error {
		copy(dst, whole[off:])
		return nil
	}, nil
}

// tensor emits the chunks of one tensor.
func (p *producer) tensor(fi int, t *plannedTensor) error {
	read, err := p.reader(t)
	if err != nil {
		return err
	}
	xf := t.xf
	unit := xf.unit()
	inEl, outEl := int64(t.info.DType.Size()), int64(t.dtype.Size())
	step := int64(chunkBytes)
	if outEl > inEl {
		step = step / outEl * inEl
	}
	step = step / unit * unit
	if step == 0 {
		step = unit
	}
	total := t.info.NumBytes()
	var overflow int64
	for off := int64(0); off < total; off += step {
		n := min(step, total-off)
		buf, err := p.buffer(int(xf.outLen(n)))
		if err != nil {
			return err
		}
		if xf.passThrough() {
			if err := read(buf, off); err != nil {
				return err
			}
		} else {
			p.in = grow(p.in, int(n))
			if err := read(p.in, off); err != nil {
				return err
			}
			if xf.layout == layoutChannelsLast && xf.cast != nil {
				p.scratch = grow(p.scratch, int(n))
			}
			overflow += xf.apply(buf, p.in, p.scratch)
		}
		if err := p.send(chunk{file: fi, off: t.offset + xf.outLen(off), data: buf, buf: buf}); err != nil {
			return err
		}
	}
	if overflow > 0 {
		// the base name keeps the manifest independent of where the release lives
		p.warnings = append(p.warnings, fmt.Sprintf("%s: tensor %s: %d finite value(s) overflowed to ±Inf when cast from %s to %s",
			filepath.Base(t.src.Path()), t.info.Name, overflow, t.info.DType.Name(), t.dtype.Name()))
	}
	return nil
}

// grow returns b resized to n bytes, reallocating only when too small.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
