//go:build unix

package safefs

import "syscall"

// readFlags never block in open(2) (a FIFO opened O_NONBLOCK returns at
// once) and never make a terminal the controlling one.
const readFlags = syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY | syscall.O_CLOEXEC
