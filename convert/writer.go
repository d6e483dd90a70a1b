package convert

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	"github.com/wanconv/wanconv/tensor"
)

// The writer executes a conversionPlan and makes no decisions. Three
// goroutines share the work, so that on two cores reading, transforming,
// writing and hashing overlap and no byte is visited by more passes than it
// needs:
//
//   - the producer reads each tensor in chunks of whole transform units,
//     transforms them and hashes each tensor's output bytes (the manifest's
//     per-tensor SHA-256) while they are hot in cache;
//   - the writer (the caller's goroutine) writes each chunk at its planned
//     offset, then hands it on;
//   - the hasher feeds each file's SHA-256 in stream order and returns the
//     buffer to the pool.
//
// At most poolSize chunk buffers of about chunkBytes exist, so memory stays
// bounded whatever the checkpoint size. Only a source that cannot hand out a
// tensor's bytes in place (tensor.SectionSource) costs one whole-tensor
// buffer, released when the tensor is done.

const (
	chunkBytes = 8 << 20
	poolSize   = 6
)

// defaultMaxTensorBuffer caps the whole-tensor buffer of a tensor that cannot be
// read in place (a deflated zip entry or a strided view): its size is what
// the file claims, not what it holds, so it is bounded independently. The
// tensors of real Wan2.2 releases are all read in place; even so the cap
// is above the largest TI2V-5B VAE tensor (decoder.middle.0.residual.2.weight,
// 113 MB of float32, golden/wan2.2-ti2v-5b.inventory.json).
const defaultMaxTensorBuffer int64 = 256 << 20

// chunk is a piece of one output file.
type chunk struct {
	file int
	off  int64
	data []byte
	buf  []byte // pooled buffer to hand back after hashing; nil if not pooled
	end  bool   // no more chunks for this file
}

// fileStore is where the writer creates output files: the staging
// directory, or a fake in tests.
type fileStore interface {
	create(name string) (sink, error)
	// display is the path users will know the file by, for messages.
	display(name string) string
}

// sourceSet resolves a planned tensor's part to its opened checkpoint.
type sourceSet map[part]tensor.Source

// writtenFile is the outcome of writing one output file.
type writtenFile struct {
	sha256 string
	bytes  int64
	// tensorSHA256 maps each tensor (output name) to the sha256 of its bytes.
	tensorSHA256 map[string]string
}

// writeTensorFiles writes every planned file into the store, within lim.
func writeTensorFiles(ctx context.Context, cp *conversionPlan, sources sourceSet, store fileStore, lim limits, prog *progress) ([]writtenFile, []string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	toWrite := make(chan chunk, poolSize)
	toHash := make(chan chunk, poolSize)
	pool := make(chan []byte, poolSize)
	for i := 0; i < poolSize; i++ {
		pool <- nil
	}
	p := &producer{ctx: ctx, out: toWrite, pool: pool, sources: sources, limits: lim, sums: make([]map[string]string, len(cp.files))}
	produced := make(chan error, 1)
	go func() {
		err := p.run(cp.files)
		close(toWrite)
		produced <- err
	}()
	fileSums := make([]string, len(cp.files))
	hashed := make(chan struct{})
	go func() {
		hashFiles(toHash, pool, fileSums)
		close(hashed)
	}()
	sizes, werr := writeChunks(ctx, cp.files, toWrite, toHash, store, prog)
	close(toHash)
	if werr != nil {
		cancel()
		for range toWrite { // let the producer finish
		}
	}
	perr := <-produced
	<-hashed
	switch {
	case werr != nil && !errors.Is(werr, context.Canceled):
		return nil, nil, werr
	case perr != nil:
		return nil, nil, perr
	case werr != nil:
		return nil, nil, werr
	}
	results := make([]writtenFile, len(cp.files))
	for i := range results {
		results[i] = writtenFile{sha256: fileSums[i], bytes: sizes[i], tensorSHA256: p.sums[i]}
	}
	return results, p.warnings, nil
}

// writeChunks writes chunks in arrival order (the producer emits each
// file's chunks consecutively and in offset order) and passes them to the
// hasher. A finished file is fsynced and closed by a background goroutine,
// so reading the next file overlaps the flush; every flush is awaited before
// writeChunks returns.
func writeChunks(ctx context.Context, files []*plannedFile, chunks <-chan chunk, toHash chan<- chunk, store fileStore, prog *progress) (_ []int64, err error) {
	sizes := make([]int64, len(files))
	var (
		out     sink
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
		name := store.display(f.name)
		if c.file != cur {
			var err error
			if out, err = store.create(f.name); err != nil {
				return nil, fmt.Errorf("creating %s: %w", name, err)
			}
			cur, next = c.file, 0
		}
		if c.end {
			if next != f.size {
				return nil, fmt.Errorf("internal error: %s has %d bytes, planned %d", f.name, next, f.size)
			}
			pending++
			go func(o sink) { synced <- syncClose(o, name) }(out)
			out = nil
			sizes[c.file] = next
			prog.fileDone(f.name, next)
			toHash <- c
			continue
		}
		if c.off != next {
			return nil, fmt.Errorf("internal error: %s: chunk at %d, expected %d", f.name, c.off, next)
		}
		if _, err := out.WriteAt(c.data, c.off); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
		next += int64(len(c.data))
		prog.add(int64(len(c.data)))
		toHash <- c
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return sizes, nil
}

// hashFiles feeds each file's SHA-256 with its chunks in stream order and
// returns the pooled buffers; it runs until chunks is closed.
func hashFiles(chunks <-chan chunk, pool chan<- []byte, sums []string) {
	var h hash.Hash
	cur := -1
	for c := range chunks {
		if c.file != cur {
			cur, h = c.file, sha256.New()
		}
		if c.end {
			sums[c.file] = hex.EncodeToString(h.Sum(nil))
			continue
		}
		h.Write(c.data)
		if c.buf != nil {
			pool <- c.buf
		}
	}
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
