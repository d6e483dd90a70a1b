//go:build !unix

package convert

// lockDir is a no-op where directories cannot be flocked; stale staging
// directories are then left alone (another run might own them).
func lockDir(dir string) (release func(), err error) { return func() {}, nil }

const canLockDirs = false
