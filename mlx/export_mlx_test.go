//go:build mlx

package mlx

// Failure probes for the external tests (see probe_mlx.go).
var (
	ProbeArrayMap   = probeArrayMap
	ProbeStringMap  = probeStringMap
	ProbeStaleError = probeStaleError
)
