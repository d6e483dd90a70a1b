// Package inspect describes Wan2.2 checkpoints without reading tensor data:
// a single .safetensors file, a sharded index .json, a .pth file, an upstream
// release directory or a converted MLX directory. For every component it
// reports the files, tensor and parameter counts, bytes, a dtype histogram,
// the architecture inferred by package mapping and the result of the
// completeness check. Only headers are read (safetensors headers, .pth
// pickles), so a full-size release is inspected in milliseconds.
//
// Inspect makes the Report; WriteText and WriteJSON render it (the JSON
// output is documented in JSON.md). The command line is cmd/inspect.
package inspect
