// Package safefs opens files of directories that may be hostile: a release
// downloaded from the internet (read side, Root) and a directory the user
// already keeps other files in (write side, OutDir).
//
// Read side: only regular files are ever opened. Every open first stats
// the path, refuses FIFOs, devices, sockets and directories, opens with
// O_NONBLOCK|O_NOCTTY (so even a file swapped for a FIFO in between cannot
// block) and checks with fstat that it opened the file it stat'ed. Inside a
// Root a symbolic link is followed only when its resolved target stays
// inside the root directory; the open itself goes through os.Root, so even
// a link changed concurrently cannot lead outside.
//
// Write side: nothing inside an OutDir is followed. Every component of
// every path written, renamed or removed is lstat'ed first and must be a
// real directory; operations go through os.Root, which in addition never
// leaves the directory.
package safefs

import (
	"errors"
	"fmt"
	"io/fs"
)

// Sentinel errors, matched with errors.Is. Every one of them means the
// directory content is unacceptable (bad input), not an I/O failure.
var (
	// ErrNotRegular: a FIFO, device, socket, directory or other
	// non-regular file where a regular file is needed.
	ErrNotRegular = errors.New("not a regular file")
	// ErrOutsideRoot: a symbolic link whose target leaves the root.
	ErrOutsideRoot = errors.New("symbolic link leads outside the directory")
	// ErrTooLarge: a file larger than the cap its reader allows.
	ErrTooLarge = errors.New("file too large")
	// ErrLink: a symbolic link (or non-directory) inside an output
	// directory where wanconv would have to write, rename or remove through it.
	ErrLink = errors.New("symbolic link inside the output directory")
	// ErrChanged: the file changed between stat and open.
	ErrChanged = errors.New("file changed while being opened")
	// ErrTooMany: a directory tree with more entries or depth than allowed.
	ErrTooMany = errors.New("directory tree too large")
)

// Error names the path concerned.
type Error struct {
	Path   string
	Err    error  // one of the sentinels
	Detail string // optional
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("%s: %v (%s)", e.Path, e.Err, e.Detail)
}

func (e *Error) Unwrap() error { return e.Err }

// IsHostile reports whether err is one of safefs's refusals (bad input).
func IsHostile(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// modeName describes a file mode for messages.
func modeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}

func notRegular(path string, m fs.FileMode) error {
	return &Error{Path: path, Err: ErrNotRegular, Detail: "it is " + modeName(m)}
}

// RequireRegular returns the refusal Open gives when fi (describing path)
// is not a regular file, or nil.
func RequireRegular(path string, fi fs.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	return notRegular(path, fi.Mode())
}
