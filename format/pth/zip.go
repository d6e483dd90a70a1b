package pth

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"math"
	"strings"
)

// maxSmallEntry caps small metadata entries such as byteorder.
const maxSmallEntry = 64

// readZip decodes the data.pkl of a zip checkpoint. It returns the tensors
// and a resolver from storage keys to the data/<key> entries.
func readZip(ra io.ReaderAt, size int64) ([]namedTensor, func(string) (*storage, error), error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, nil, errorf(ErrZip, "reading zip directory: %w", err)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	var pkls []string
	for _, zf := range zr.File {
		if _, dup := entries[zf.Name]; dup {
			// archive/zip would let the last one win; which copy torch
			// reads is not something to guess.
			return nil, nil, errorf(ErrZip, "zip archive holds entry %q twice", zf.Name)
		}
		entries[zf.Name] = zf
		dir, base, ok := strings.Cut(zf.Name, "/")
		if ok && base == "data.pkl" && dir != "" {
			pkls = append(pkls, zf.Name)
		}
	}
	switch len(pkls) {
	case 0:
		return nil, nil, errorf(ErrNotCheckpoint, "zip archive has no <folder>/data.pkl: not a PyTorch checkpoint")
	case 1:
	default:
		return nil, nil, errorf(ErrZip, "zip archive has several data.pkl entries (%s)", strings.Join(pkls, ", "))
	}
	prefix := strings.TrimSuffix(pkls[0], "data.pkl")
	if err := checkByteOrder(entries[prefix+"byteorder"]); err != nil {
		return nil, nil, err
	}
	pkl := entries[pkls[0]]
	if pkl.UncompressedSize64 > maxPickleBytes {
		return nil, nil, errorf(ErrLimit, "%s is %d bytes, more than the %d allowed", pkl.Name, pkl.UncompressedSize64, maxPickleBytes)
	}
	rc, err := pkl.Open()
	if err != nil {
		return nil, nil, errorf(ErrZip, "%s: %w", pkl.Name, err)
	}
	defer rc.Close()
	refs := newStorageRefs()
	obj, _, err := unpickle(bufio.NewReader(rc), int64(pkl.UncompressedSize64), refs.loadZip)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", pkl.Name, err)
	}
	found, err := stateDictTensors(obj)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", pkl.Name, err)
	}
	resolve := func(key string) (*storage, error) {
		return zipStorage(entries, prefix+"data/"+key, size)
	}
	return found, resolve, nil
}

// checkByteOrder accepts a missing byteorder entry (older torch) or
// "little"; big-endian checkpoints are refused.
func checkByteOrder(zf *zip.File) error {
	if zf == nil {
		return nil
	}
	if zf.UncompressedSize64 > maxSmallEntry {
		return errorf(ErrLimit, "%s is too large", zf.Name)
	}
	rc, err := zf.Open()
	if err != nil {
		return errorf(ErrZip, "%s: %w", zf.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxSmallEntry))
	if err != nil {
		return errorf(ErrZip, "%s: %w", zf.Name, err)
	}
	switch order := strings.TrimSpace(string(b)); order {
	case "little":
		return nil
	case "big":
		return errorf(ErrBigEndian, "checkpoint was saved big-endian (byteorder \"big\"); only little-endian checkpoints are supported")
	default:
		return errorf(ErrUnsupported, "%s holds %q, want \"little\"", zf.Name, order)
	}
}

// zipStorage locates the entry holding one storage.
func zipStorage(entries map[string]*zip.File, name string, fileSize int64) (*storage, error) {
	zf, ok := entries[name]
	if !ok {
		return nil, errorf(ErrZip, "archive entry %q is missing", name)
	}
	if zf.Flags&0x1 != 0 {
		return nil, errorf(ErrUnsupported, "archive entry %q is encrypted", name)
	}
	if zf.UncompressedSize64 > math.MaxInt64 || zf.CompressedSize64 > math.MaxInt64 {
		return nil, errorf(ErrZip, "archive entry %q has an impossible size", name)
	}
	size := int64(zf.UncompressedSize64)
	switch zf.Method {
	case zip.Store:
		if zf.CompressedSize64 != zf.UncompressedSize64 {
			return nil, errorf(ErrZip, "stored archive entry %q has compressed size %d but size %d", name, zf.CompressedSize64, size)
		}
		off, err := zf.DataOffset()
		if err != nil {
			return nil, errorf(ErrZip, "archive entry %q: %w", name, err)
		}
		if off < 0 || off > fileSize || size > fileSize-off {
			return nil, errorf(ErrTruncated, "archive entry %q (%d bytes at %d) runs past the end of the %d-byte file", name, size, off, fileSize)
		}
		return &storage{base: off, size: size}, nil
	case zip.Deflate:
		return &storage{base: -1, size: size, zf: zf}, nil
	default:
		return nil, errorf(ErrUnsupported, "archive entry %q uses unsupported compression method %d", name, zf.Method)
	}
}
