// Package mapping turns the tensor inventory of a Wan2.2 checkpoint component
// (DiT, T5 text encoder, VAE) into a conversion plan: for every PyTorch
// tensor, the MLX name it gets, the layout transform it needs and its output
// shape. It does no I/O.
//
// Renames and transforms are data: each component has a list of nn.Sequential
// containers (whose integer children become "layers.N") and a rule table that
// classifies every tensor name by a dotted-segment pattern. Architecture
// inference reads the hyper-parameters off the tensor shapes (and config.json
// for the DiT), and the completeness check compares the source set with the
// full set of tensors the inferred architecture requires. RULES.md documents
// the tables with one generated example per rule.
//
// A Layout picks the converted names: LayoutWanconv (the default, what the
// functions without a layout argument use) or LayoutMLXVideo, the names
// Blaizzy/mlx-video loads, whose config.json (WanModelConfig) MLXVideoConfig
// writes and CheckMLXVideoConfig checks against the weights.
package mapping
