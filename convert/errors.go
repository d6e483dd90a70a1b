package convert

import (
	"errors"
	"fmt"
)

// Convert's errors fall in three classes, which the command (cmd/wanconv)
// maps to its exit statuses: *InputError (bad options or a bad
// checkpoint), context.Canceled (the context was cancelled; nothing was
// written) and anything else (an I/O or internal failure).

// InputError reports bad options or a bad source checkpoint: nothing was
// written.
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
