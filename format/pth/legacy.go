package pth

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/big"
)

// Constants of the legacy format.
const (
	legacyProtocolVersion = 1001
	maxHeaderPickle       = 1 << 20 // magic, protocol and sys_info pickles
)

// legacyMagic is the magic number pickled first in a legacy checkpoint.
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

// legacyReader walks the consecutive pickles at the start of a legacy file.
type legacyReader struct {
	br   *bufio.Reader
	pos  int64
	size int64
}

func (lr *legacyReader) next(what string, limit int64, pers func(pyTuple) (any, error)) (any, error) {
	limit = min(limit, lr.size-lr.pos)
	v, n, err := unpickle(lr.br, limit, pers)
	lr.pos += n
	if err != nil {
		return nil, fmt.Errorf("%s pickle: %w", what, err)
	}
	return v, nil
}

// readLegacy decodes a legacy checkpoint's pickles and records where each
// storage's bytes are, without reading them.
func readLegacy(ra io.ReaderAt, size int64) ([]namedTensor, func(string) (*storage, error), error) {
	lr := &legacyReader{br: bufio.NewReader(io.NewSectionReader(ra, 0, size)), size: size}
	magic, err := lr.next("magic number", maxHeaderPickle, nil)
	if err != nil {
		return nil, nil, err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, nil, errorf(ErrNotCheckpoint, "not a PyTorch checkpoint (legacy magic number missing)")
	}
	proto, err := lr.next("protocol version", maxHeaderPickle, nil)
	if err != nil {
		return nil, nil, err
	}
	if p, ok := proto.(int64); !ok || p != legacyProtocolVersion {
		// typeName only: never format decoded values, whose shared
		// sub-objects can make them exponentially large when printed.
		return nil, nil, errorf(ErrUnsupported, "unsupported legacy protocol version (a %s, want %d)", typeName(proto), legacyProtocolVersion)
	}
	sysInfo, err := lr.next("sys_info", maxHeaderPickle, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := checkSysInfo(sysInfo); err != nil {
		return nil, nil, err
	}
	refs := newStorageRefs()
	obj, err := lr.next("state dict", maxPickleBytes, refs.loadLegacy)
	if err != nil {
		return nil, nil, err
	}
	found, err := stateDictTensors(obj)
	if err != nil {
		return nil, nil, err
	}
	keysObj, err := lr.next("storage keys", maxPickleBytes, nil)
	if err != nil {
		return nil, nil, err
	}
	stores, err := locateLegacyStorages(ra, lr.pos, size, keysObj, refs)
	if err != nil {
		return nil, nil, err
	}
	resolve := func(key string) (*storage, error) {
		st, ok := stores[key]
		if !ok {
			return nil, errorf(ErrStorage, "storage %q is not in the file's storage list", key)
		}
		return st, nil
	}
	return found, resolve, nil
}

// checkSysInfo requires a little-endian writer.
func checkSysInfo(v any) error {
	d, ok := v.(*pyDict)
	if !ok {
		return errorf(ErrPickle, "sys_info is a %s, not a dict", typeName(v))
	}
	if i, ok := d.index["little_endian"]; ok {
		if le, _ := d.entries[i].value.(bool); !le {
			return errorf(ErrBigEndian, "checkpoint was saved big-endian; only little-endian checkpoints are supported")
		}
	}
	return nil
}

// locateLegacyStorages seeks over the storages that follow the pickles: for
// each key in order, an 8-byte little-endian element count and the bytes.
func locateLegacyStorages(ra io.ReaderAt, pos, size int64, keysObj any, refs *storageRefs) (map[string]*storage, error) {
	list, ok := keysObj.(*pyList)
	if !ok {
		return nil, errorf(ErrStorage, "storage keys are a %s, not a list", typeName(keysObj))
	}
	stores := make(map[string]*storage, len(list.items))
	var head [8]byte
	for _, k := range list.items {
		key, ok := k.(string)
		if !ok {
			return nil, errorf(ErrStorage, "storage key is a %s, not a string", typeName(k))
		}
		ref, ok := refs.byKey[key]
		if !ok {
			return nil, errorf(ErrStorage, "storage %q is listed but never used, so its element size is unknown", key)
		}
		if _, dup := stores[key]; dup {
			return nil, errorf(ErrStorage, "storage %q is listed twice", key)
		}
		if err := readFullAt(ra, head[:], pos); err != nil {
			return nil, errorf(ErrTruncated, "file truncated: storage %q header at byte %d: %w", key, pos, err)
		}
		count := binary.LittleEndian.Uint64(head[:])
		esize := uint64(ref.dtype.Size())
		if count > math.MaxInt64/esize {
			return nil, errorf(ErrStorage, "storage %q claims %d elements", key, count)
		}
		n := int64(count * esize)
		base := pos + 8
		if n > size-base {
			return nil, errorf(ErrTruncated, "file truncated: storage %q needs %d bytes at byte %d but the file has %d bytes", key, n, base, size)
		}
		stores[key] = &storage{base: base, size: n}
		pos = base + n
	}
	return stores, nil
}
