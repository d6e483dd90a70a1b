package vae

import "fmt"

// encResPrefix names block j of encoder level i (converted MLX naming).
func encResPrefix(level, block int) string {
	return fmt.Sprintf("encoder.downsamples.layers.%d.downsamples.layers.%d", level, block)
}

// decResPrefix names block j of decoder level i (converted MLX naming).
func decResPrefix(level, block int) string {
	return fmt.Sprintf("decoder.upsamples.layers.%d.upsamples.layers.%d", level, block)
}
