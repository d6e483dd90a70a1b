package convert

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes of Main.
const (
	ExitOK          = 0
	ExitFailure     = 1   // I/O or internal failure (disk full, rename failed, ...)
	ExitBadInput    = 2   // bad usage or a bad checkpoint
	ExitInterrupted = 130 // SIGINT/SIGTERM or context cancelled
)

// InputError reports bad usage or a bad source checkpoint: nothing was
// written. Main maps it to exit code 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

func inputError(err error) error {
	if err == nil {
		return nil
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	return &InputError{Err: err}
}

// ExitCode maps a Convert error to Main's exit status.
func ExitCode(err error) int {
	var ie *InputError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ie):
		return ExitBadInput
	default:
		return ExitFailure
	}
}
