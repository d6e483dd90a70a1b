package safetensors

import (
	"errors"
	"strings"
)

// Kinds of failure. Every error returned by this package is an *Error whose
// Kind is one of these, so callers and tests can use errors.Is.
var (
	ErrTooShort         = errors.New("file is shorter than the 8-byte header length")
	ErrHeaderTooLarge   = errors.New("header length exceeds the limit")
	ErrHeaderBeyondEOF  = errors.New("header length runs past the end of the file")
	ErrInvalidJSON      = errors.New("header is not a valid JSON object")
	ErrDuplicateKey     = errors.New("duplicate JSON key")
	ErrInvalidMetadata  = errors.New("__metadata__ is not a map of strings to strings")
	ErrInvalidEntry     = errors.New("malformed tensor entry")
	ErrUnknownDType     = errors.New("unknown dtype")
	ErrInvalidShape     = errors.New("invalid shape")
	ErrShapeOverflow    = errors.New("shape size overflows int64")
	ErrInvalidOffsets   = errors.New("invalid data_offsets")
	ErrSizeMismatch     = errors.New("data_offsets span does not match shape and dtype")
	ErrOffsetOutOfRange = errors.New("data_offsets lie outside the data area")
	ErrOverlap          = errors.New("tensor data overlaps another tensor")
	ErrGap              = errors.New("data area has bytes that belong to no tensor")
	ErrTrailingBytes    = errors.New("data area has trailing bytes after the last tensor")
	ErrNotRegular       = errors.New("not a regular file")
	ErrTensorNotFound   = errors.New("no such tensor")
	ErrBufferSize       = errors.New("destination buffer has the wrong size")
	ErrRead             = errors.New("read failed")

	ErrInvalidIndex     = errors.New("malformed index")
	ErrUnsafeShardPath  = errors.New("shard path escapes the index directory")
	ErrMissingShard     = errors.New("shard file does not exist")
	ErrTensorNotInShard = errors.New("indexed tensor is absent from its shard")
	ErrTensorNotInIndex = errors.New("shard tensor is missing from the index weight_map")
	ErrDuplicateTensor  = errors.New("tensor is stored more than once")

	ErrWrite      = errors.New("write failed")
	ErrIncomplete = errors.New("not every tensor was written")
)

// Error is a failure tied to a file and, where relevant, a tensor.
type Error struct {
	Index  string // the index file, when the file was reached through one
	File   string // the safetensors file (a shard, for index errors)
	Tensor string // the tensor concerned, if any
	Kind   error  // one of the Err* values
	Detail string // human-readable specifics, may be empty
	Err    error  // underlying cause (I/O, JSON syntax), may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("safetensors: ")
	if e.Index != "" {
		b.WriteString("index " + e.Index + ": ")
	}
	if e.File != "" {
		if e.Index != "" {
			b.WriteString("shard ")
		}
		b.WriteString(e.File + ": ")
	}
	if e.Tensor != "" {
		b.WriteString("tensor \"" + e.Tensor + "\": ")
	}
	b.WriteString(e.Kind.Error())
	if e.Detail != "" {
		b.WriteString(" (" + e.Detail + ")")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap exposes both the Kind and the underlying cause to errors.Is/As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// withIndex returns err annotated with the index it was reached through.
func withIndex(index string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Index = index
	return &c
}
