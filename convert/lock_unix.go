//go:build unix

package convert

import (
	"errors"
	"os"
	"syscall"
)

// lockDir takes an exclusive, non-blocking advisory lock on a directory for
// the length of a conversion, so that two runs never write into the same
// OUT_DIR and a run may safely remove staging directories that killed runs
// left behind. The lock dies with the process.
func lockDir(dir string) (release func(), err error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errOutDirBusy
		}
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

const canLockDirs = true
