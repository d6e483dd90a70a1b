//go:build !unix

package safefs

import "os"

// readFlags: platforms without O_NONBLOCK rely on the stat check alone.
const readFlags = os.O_RDONLY
