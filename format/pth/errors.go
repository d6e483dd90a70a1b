package pth

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Kinds of failure. Every error this package returns about a checkpoint
// (opening one, reading a tensor, writing one) is an *Error whose Kind is
// one of these, so callers and tests can use errors.Is or errors.As; only
// the opener's own error (a missing or irregular file) is returned as is.
var (
	ErrNotCheckpoint   = errors.New("not a PyTorch checkpoint")
	ErrZip             = errors.New("malformed zip archive")
	ErrTruncated       = errors.New("checkpoint is truncated")
	ErrPickle          = errors.New("malformed pickle")
	ErrLimit           = errors.New("pickle exceeds a safety limit")
	ErrNotAllowed      = errors.New("global or call not allowed in a state dict")
	ErrUnsupported     = errors.New("unsupported checkpoint feature")
	ErrBigEndian       = errors.New("big-endian checkpoint")
	ErrNotStateDict    = errors.New("not a state dict of tensors")
	ErrStorage         = errors.New("malformed storage")
	ErrGeometry        = errors.New("tensor shape, stride or offset does not fit its storage")
	ErrDuplicateTensor = errors.New("tensor appears twice")
	ErrTensorNotFound  = errors.New("no such tensor")
	ErrBufferSize      = errors.New("destination buffer has the wrong size")
	ErrRead            = errors.New("read failed")

	ErrInvalidInput = errors.New("invalid tensor or archive to write")
	ErrWrite        = errors.New("write failed")
)

// Error is a failure tied to a checkpoint file and, where relevant, a
// tensor. Its message is "FILE: tensor "NAME": specifics" (each part
// present when known).
type Error struct {
	File   string // the checkpoint; "" inside the package and for writes
	Tensor string // the tensor concerned, if known
	Kind   error  // one of the Err* values
	Err    error  // the specifics, wrapping any underlying cause
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if e.Tensor != "" {
		b.WriteString("tensor " + strconv.Quote(e.Tensor) + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap exposes both the Kind and the specifics to errors.Is/As.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// errorf is an *Error of the given kind; format may wrap a cause with %w.
func errorf(kind error, format string, a ...any) error {
	return &Error{Kind: kind, Err: fmt.Errorf(format, a...)}
}

// kindOf is the Kind of the innermost *Error in err's chain, or def when
// there is none (an I/O error from below).
func kindOf(err error, def error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return def
}

// inTensor attributes err to a tensor (reported as `tensor "NAME": ...`).
func inTensor(name string, err error, def error) error {
	return &Error{Tensor: name, Kind: kindOf(err, def), Err: err}
}

// inFile attributes err to the checkpoint file: an *Error that names no
// file yet gets it; anything else is wrapped, keeping its kind (ErrRead
// for an error from below).
func inFile(path string, err error) error {
	if e, ok := err.(*Error); ok && e.File == "" {
		c := *e
		c.File = path
		return &c
	}
	return &Error{File: path, Kind: kindOf(err, ErrRead), Err: err}
}

// readError is a failed read: ErrTruncated when the data ended early.
func readError(err error, format string, a ...any) error {
	kind := ErrRead
	if errors.Is(err, io.ErrUnexpectedEOF) {
		kind = ErrTruncated
	}
	return errorf(kind, format+": %w", append(a, err)...)
}
