// Package convert is the wanconv converter: it turns a Wan2.2 PyTorch
// release (sharded DiT safetensors, umt5-xxl T5 encoder .pth, VAE .pth;
// TI2V-5B, or the two experts of T2V/I2V-A14B with the Wan2.1 VAE, as
// package layout detects) into MLX safetensors, in three steps (Convert, with Options and a
// context; the command line is cmd/wanconv):
//
//   - inventory (inventory.go): locate every input file and open each
//     checkpoint, reading headers only;
//   - plan (plan.go): map every component through the mapping package, pick
//     output dtypes, cut the DiT into shards and lay out every output
//     header and tensor offset. Any problem in any component is reported
//     here, before an output byte is written;
//   - write (writer.go): stream tensors in planned order through the fused
//     byte-level transform (transform.go: conv channels-last permutation and
//     dtype casts; cast.go: the rounding rules), writing each file
//     sequentially at its planned offsets while hashing it.
//
// Memory stays bounded (a few 8 MiB chunk buffers) whatever the checkpoint
// size, because a conv weight's output channel is contiguous in both layouts
// and transforms run on whole channels; only a tensor that its reader cannot
// hand out in place (deflated or strided .pth storage) is read whole, up to
// defaultMaxTensorBuffer.
//
// The release is read through internal/safefs (regular files only, links
// only inside the release); OUT_DIR is locked before anything is looked at
// (outdir.go) and nothing inside it is followed. Outputs are staged in
// OUT_DIR/.wanconv-tmp-*, fsynced and moved into place by a journaled
// commit only when all succeeded (atomic.go, commit.go); errors and a
// cancelled context (SIGINT and SIGTERM in cmd/wanconv) leave OUT_DIR as it was, and a kill -9 during the commit is
// completed or rolled back by the next run. --force replaces exactly the
// files the previous manifest lists. Converting twice gives byte-identical files: tensors are
// ordered by name and the manifest holds no time or host data.
//
// Casting rounds to nearest, ties to even, and keeps NaN. Finite values that
// overflow to ±Inf (float16, or float64 sources) do not stop the conversion:
// each affected tensor is reported as a warning with its count, on stderr,
// in Summary.Warnings and in the manifest.
package convert
