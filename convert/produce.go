package convert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/wanconv/wanconv/tensor"
)

// producer reads and transforms tensors into chunks and hashes each
// tensor's output bytes.
type producer struct {
	ctx      context.Context
	out      chan<- chunk
	pool     chan []byte
	sources  sourceSet
	limits   limits
	in       []byte // read buffer for transformed tensors
	scratch  []byte // permutation buffer when a cast follows
	warnings []string
	sums     []map[string]string // per file: tensor → sha256 of its bytes
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
		p.sums[fi] = make(map[string]string, len(f.tensors))
		if err := p.send(chunk{file: fi, off: 0, data: f.header}); err != nil {
			return err
		}
		for i := 0; i < len(f.tensors); i++ {
			var err error
			if f.tensors[i].role == quantWords {
				err = p.quantized(fi, f.tensors[i:])
				i += 2 // its scales and biases
			} else {
				err = p.tensor(fi, &f.tensors[i])
			}
			if err != nil {
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
func (p *producer) reader(src tensor.Source, t *plannedTensor) (func(dst []byte, off int64) error, error) {
	if ss, ok := src.(tensor.SectionSource); ok {
		r, ok, err := ss.Section(t.info.Name)
		if err != nil {
			return nil, inputError(err)
		}
		if ok {
			if r.Size() != t.info.NumBytes() {
				return nil, inputError(fmt.Errorf("%s: tensor %s: stored bytes %d, shape needs %d",
					src.Path(), t.info.Name, r.Size(), t.info.NumBytes()))
			}
			return func(dst []byte, off int64) error {
				n, err := r.ReadAt(dst, off)
				if n == len(dst) {
					return nil
				}
				return inputError(fmt.Errorf("%s: tensor %s: reading %d bytes at %d: %w", src.Path(), t.info.Name, len(dst), off, err))
			}, nil
		}
	}
	if n := t.info.NumBytes(); n > p.limits.maxTensorBuffer {
		return nil, inputError(fmt.Errorf("%s: tensor %s is stored compressed or non-contiguous, so converting it needs a %d-byte buffer, more than the %d allowed; re-save the checkpoint with torch.save (uncompressed, contiguous tensors)",
			src.Path(), t.info.Name, n, p.limits.maxTensorBuffer))
	}
	whole := make([]byte, t.info.NumBytes())
	if err := src.ReadTensor(t.info.Name, whole); err != nil {
		return nil, inputError(err)
	}
	return func(dst []byte, off int64) error {
		copy(dst, whole[off:])
		return nil
	}, nil
}

// tensor emits the chunks of one tensor.
func (p *producer) tensor(fi int, t *plannedTensor) error {
	src, ok := p.sources[t.part]
	if !ok {
		return fmt.Errorf("internal error: no source for the %s component", t.part)
	}
	xf, err := newTensorTransform(t.info, t.op, t.dtype)
	if err != nil {
		return inputError(fmt.Errorf("%s: %w", src.Path(), err))
	}
	read, err := p.reader(src, t)
	if err != nil {
		return err
	}
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
	h := sha256.New()
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
		h.Write(buf)
		if err := p.send(chunk{file: fi, off: t.offset + xf.outLen(off), data: buf, buf: buf}); err != nil {
			return err
		}
	}
	p.sums[fi][t.target] = hex.EncodeToString(h.Sum(nil))
	if overflow > 0 {
		// the base name keeps the manifest independent of where the release lives
		p.warnings = append(p.warnings, fmt.Sprintf("%s: tensor %s: %d finite value(s) overflowed to ±Inf when cast from %s to %s",
			filepath.Base(src.Path()), t.info.Name, overflow, t.info.DType.Name(), t.dtype.Name()))
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
