package pth

import (
	"encoding/binary"
	"io"
	"strings"
)

// WriteZip writes tensors as a torch >= 1.6 zip checkpoint whose entries sit
// under archiveName/ (torch uses the file name without extension). Storage
// entries are stored uncompressed and aligned to 64 bytes, as torch does.
// Tensor data is streamed; nothing but the pickle is buffered. Offsets are
// counted from where w starts. Zero storages (nil Data) become holes when w
// is an *os.File.
func WriteZip(w io.Writer, archiveName string, tensors []Tensor) error {
	if archiveName == "" || strings.ContainsAny(archiveName, "/\\") {
		return errorf(ErrInvalidInput, "pth: bad archive name %q", archiveName)
	}
	plan, err := planWrite(tensors)
	if err != nil {
		return errorf(kindOf(err, ErrInvalidInput), "pth: %w", err)
	}
	z := &zipWriter{s: newSink(w)}
	dir := archiveName + "/"
	small := []struct{ name, data string }{
		{"data.pkl", string(stateDictPickle(plan, false))},
		{".format_version", "1"},
		{".storage_alignment", "64"},
		{"byteorder", "little"},
	}
	for _, e := range small {
		if err := z.addBytes(dir+e.name, []byte(e.data)); err != nil {
			return errorf(ErrWrite, "pth: writing %s: %w", e.name, err)
		}
	}
	for _, st := range plan.storages {
		size := st.Numel * int64(st.DType.Size())
		err := z.add(dir+"data/"+st.key, size, true, func(s *sink) error { return writeStorageData(s, st) })
		if err != nil {
			return errorf(ErrWrite, "pth: writing storage %s: %w", st.key, err)
		}
	}
	if err := z.addBytes(dir+"version", []byte("3\n")); err != nil {
		return errorf(ErrWrite, "pth: writing version: %w", err)
	}
	if err := z.close(); err != nil {
		return errorf(ErrWrite, "pth: writing zip directory: %w", err)
	}
	return nil
}

// legacyPreamble is the start of every legacy checkpoint: the pickled magic
// number, then the pickled protocol version.
func legacyPreamble() []byte {
	magic := newPickle()
	magic.long(legacyMagic)
	magic.op(opStop)
	proto := newPickle()
	proto.int(legacyProtocolVersion)
	proto.op(opStop)
	return append(magic.Bytes(), proto.Bytes()...)
}

// WriteLegacy writes tensors in torch's pre-1.6 format
// (_use_new_zipfile_serialization=False).
func WriteLegacy(w io.Writer, tensors []Tensor) error {
	plan, err := planWrite(tensors)
	if err != nil {
		return errorf(kindOf(err, ErrInvalidInput), "pth: %w", err)
	}
	s := newSink(w)
	keys := newPickle()
	keys.op(opEmptyList)
	if len(plan.storages) > 0 {
		keys.op(opMark)
		for _, st := range plan.storages {
			keys.str(st.key)
		}
		keys.op(opAppends)
	}
	keys.op(opStop)
	for _, b := range [][]byte{legacyPreamble(), sysInfoPickle(), stateDictPickle(plan, true), keys.Bytes()} {
		if _, err := s.Write(b); err != nil {
			return errorf(ErrWrite, "pth: %w", err)
		}
	}
	for _, st := range plan.storages {
		var head [8]byte
		binary.LittleEndian.PutUint64(head[:], uint64(st.Numel))
		if _, err := s.Write(head[:]); err != nil {
			return errorf(ErrWrite, "pth: %w", err)
		}
		if err := writeStorageData(s, st); err != nil {
			return errorf(ErrWrite, "pth: %w", err)
		}
	}
	return nil
}

// sysInfoPickle is {'protocol_version': 1001, 'little_endian': True,
// 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}.
func sysInfoPickle() []byte {
	p := newPickle()
	p.op(opEmptyDict)
	p.op(opMark)
	p.str("protocol_version")
	p.int(legacyProtocolVersion)
	p.str("little_endian")
	p.op(opNewTrue)
	p.str("type_sizes")
	p.op(opEmptyDict)
	p.op(opMark)
	for _, kv := range []struct {
		k string
		v int64
	}{{"short", 2}, {"int", 4}, {"long", 4}} {
		p.str(kv.k)
		p.int(kv.v)
	}
	p.op(opSetItems)
	p.op(opSetItems)
	p.op(opStop)
	return p.Bytes()
}
