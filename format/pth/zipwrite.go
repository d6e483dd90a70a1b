package pth

import (
	"encoding/binary"
	"hash/crc32"
	"io"
)

// Zip constants used by the writer (APPNOTE.TXT).
const (
	zipLocalSig      = 0x04034b50
	zipCentralSig    = 0x02014b50
	zipDescriptorSig = 0x08074b50
	zipEndSig        = 0x06054b50
	zip64EndSig      = 0x06064b50
	zip64LocatorSig  = 0x07064b50
	zipFlags         = 0x0808 // data descriptor follows; names are UTF-8
	zipDate1980      = 0x21   // 1980-01-01
	zipMax32         = 0xffffffff
	zipMax16         = 0xffff
	zip64ExtraID     = 0x0001
	zipPadExtraID    = 0x4246 // "FB": padding, as torch writes it
	storageAlign     = 64
)

// zipEntry remembers what the central directory needs.
type zipEntry struct {
	name   string
	offset int64
	size   int64
	crc    uint32
}

// zipWriter writes an archive of stored (uncompressed) entries, each
// followed by a data descriptor, with zip64 records where sizes or offsets
// need them.
type zipWriter struct {
	s       *sink
	entries []zipEntry
}

func le16(b []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(b, v) }
func le32(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

func clamp32(v int64) uint32 {
	if v >= zipMax32 {
		return zipMax32
	}
	return uint32(v)
}

// add writes one entry of size bytes produced by fill. With align, the
// entry's data starts at a multiple of 64 bytes.
func (z *zipWriter) add(name string, size int64, align bool, fill func(s *sink) error) error {
	wide := size >= zipMax32
	start := z.s.pos
	var extra []byte
	version := uint16(20)
	if wide {
		version = 45
		extra = le16(le16(extra, zip64ExtraID), 16)
		extra = le64(le64(extra, 0), 0)
	}
	if align {
		dataAt := start + 30 + int64(len(name)) + int64(len(extra)) + 4
		pad := (storageAlign - dataAt%storageAlign) % storageAlign
		extra = le16(le16(extra, zipPadExtraID), uint16(pad))
		for range pad {
			extra = append(extra, 'Z')
		}
	}
	h := le32(nil, zipLocalSig)
	h = le16(h, version)
	h = le16(h, zipFlags)
	h = le16(h, 0) // stored
	h = le16(h, 0) // time
	h = le16(h, zipDate1980)
	h = le32(h, 0) // crc and sizes come in the data descriptor
	sz := uint32(0)
	if wide {
		sz = zipMax32
	}
	h = le32(le32(h, sz), sz)
	h = le16(h, uint16(len(name)))
	h = le16(h, uint16(len(extra)))
	h = append(append(h, name...), extra...)
	if _, err := z.s.Write(h); err != nil {
		return err
	}
	z.s.crc = crc32.NewIEEE()
	dataStart := z.s.pos
	err := fill(z.s)
	crc := z.s.crc.Sum32()
	z.s.crc = nil
	if err != nil {
		return err
	}
	if z.s.pos-dataStart != size {
		return io.ErrShortWrite
	}
	d := le32(nil, zipDescriptorSig)
	d = le32(d, crc)
	if wide {
		d = le64(le64(d, uint64(size)), uint64(size))
	} else {
		d = le32(le32(d, uint32(size)), uint32(size))
	}
	if _, err := z.s.Write(d); err != nil {
		return err
	}
	z.entries = append(z.entries, zipEntry{name: name, offset: start, size: size, crc: crc})
	return nil
}

// addBytes writes a small entry.
func (z *zipWriter) addBytes(name string, data []byte) error {
	return z.add(name, int64(len(data)), false, func(s *sink) error {
		_, err := s.Write(data)
		return err
	})
}

// close writes the central directory and the end records.
func (z *zipWriter) close() error {
	cdStart := z.s.pos
	for _, e := range z.entries {
		var extra []byte
		if e.size >= zipMax32 {
			extra = le64(le64(extra, uint64(e.size)), uint64(e.size))
		}
		if e.offset >= zipMax32 {
			extra = le64(extra, uint64(e.offset))
		}
		version := uint16(20)
		if len(extra) > 0 {
			extra = append(le16(le16(nil, zip64ExtraID), uint16(len(extra))), extra...)
			version = 45
		}
		h := le32(nil, zipCentralSig)
		h = le16(h, 45) // made by: version 4.5, MS-DOS attributes
		h = le16(h, version)
		h = le16(h, zipFlags)
		h = le16(h, 0)
		h = le16(h, 0)
		h = le16(h, zipDate1980)
		h = le32(h, e.crc)
		h = le32(le32(h, clamp32(e.size)), clamp32(e.size))
		h = le16(h, uint16(len(e.name)))
		h = le16(h, uint16(len(extra)))
		h = le16(h, 0) // comment
		h = le16(h, 0) // disk
		h = le16(h, 0) // internal attributes
		h = le32(h, 0) // external attributes
		h = le32(h, clamp32(e.offset))
		h = append(append(h, e.name...), extra...)
		if _, err := z.s.Write(h); err != nil {
			return err
		}
	}
	cdEnd := z.s.pos
	cdSize := cdEnd - cdStart
	n := int64(len(z.entries))
	var tail []byte
	need64 := n >= zipMax16 || cdStart >= zipMax32 || cdSize >= zipMax32
	if need64 {
		tail = le32(tail, zip64EndSig)
		tail = le64(tail, 44) // size of the rest of this record
		tail = le16(le16(tail, 45), 45)
		tail = le32(le32(tail, 0), 0)
		tail = le64(le64(tail, uint64(n)), uint64(n))
		tail = le64(le64(tail, uint64(cdSize)), uint64(cdStart))
		tail = le32(tail, zip64LocatorSig)
		tail = le32(tail, 0)
		tail = le64(tail, uint64(cdEnd))
		tail = le32(tail, 1)
	}
	entries16 := uint16(min(n, zipMax16))
	cdSize32, cdStart32 := clamp32(cdSize), clamp32(cdStart)
	if need64 {
		entries16, cdSize32, cdStart32 = zipMax16, zipMax32, zipMax32
	}
	tail = le32(tail, zipEndSig)
	tail = le16(le16(tail, 0), 0)
	tail = le16(le16(tail, entries16), entries16)
	tail = le32(le32(tail, cdSize32), cdStart32)
	tail = le16(tail, 0)
	_, err := z.s.Write(tail)
	return err
}
