// Package pth reads PyTorch checkpoints (.pth / .pt files written by
// torch.save) without Python and without executing anything from the file,
// and writes such checkpoints for tests and synthetic releases.
//
// Two on-disk formats are understood:
//
//   - the zip format (torch >= 1.6): an archive whose single top folder holds
//     data.pkl, byteorder and one data/<key> entry per storage. Stored
//     (uncompressed) entries are read in place at the entry's data offset;
//     deflated entries are decompressed on the fly, one tensor at a time.
//   - the legacy format (_use_new_zipfile_serialization=False): a sequence of
//     pickles (magic number, protocol version, system info, the object, the
//     storage keys) followed by the raw storages, each preceded by its
//     little-endian element count.
//
// Pickles are decoded by a small interpreter of the protocol 2-5 opcodes
// that state dicts need. Globals are checked against an allow-list
// (collections.OrderedDict, the torch tensor/parameter rebuild functions and
// the typed storage classes); any other global is refused with an error
// naming it, so nothing in the file can run code.
//
// The loaded object must be a dict of tensors. When its entries hold no
// tensor and exactly one of them is a dict (as in {"state_dict": {...}} or
// {"model": {...}, "epoch": 3}), that dict is used instead, up to a few
// levels deep. Scalar metadata (numbers, strings, None, bools) beside the
// tensors is ignored; any other value is an error.
//
// Tensors may be views: storage offsets, arbitrary non-negative strides and
// several tensors sharing one storage are honoured. ReadTensor gathers the
// elements into C order; Section hands out contiguous in-place tensors
// without copying. Only a tensor's own bytes are ever read; whole storages
// are never loaded.
//
// Errors about a checkpoint are *Error values naming the file and, where
// known, the tensor, with a Kind (ErrNotAllowed, ErrZip, ErrTruncated,
// ErrGeometry, ...; errors.go) that errors.Is matches.
package pth
