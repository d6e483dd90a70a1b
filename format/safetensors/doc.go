// Package safetensors reads and writes the safetensors checkpoint format,
// both single files and Hugging Face sharded checkpoints described by a
// "*.safetensors.index.json" file.
//
// # Reading
//
// Open reads only the 8-byte header length and the JSON header; tensor bytes
// are read later, one tensor at a time, with ReadAt on the tensor's exact
// byte range (ReadTensor) or handed out in place as an *io.SectionReader
// (Section). *File and *Sharded implement tensor.SectionSource.
//
// The header is validated strictly before any tensor is exposed:
//
//   - the file holds at least the 8-byte length prefix, and the header length
//     neither runs past the end of the file nor exceeds MaxHeaderSize;
//   - the header is valid UTF-8, starts with '{' and is a single JSON object
//     (only whitespace may follow it, which covers the usual space padding);
//   - no JSON object in the header repeats a key;
//   - "__metadata__", when present, maps strings to strings;
//   - every tensor entry has exactly the fields dtype (a known safetensors
//     dtype), shape (non-negative integers) and data_offsets (two
//     non-negative integers, begin <= end); unknown fields are rejected
//     rather than ignored, since the format defines no others;
//   - shape × dtype size is computed with overflow checks and equals
//     end − begin;
//   - every range lies inside the data area (file size − 8 − header length);
//   - the ranges, sorted by offset, tile the data area exactly: no overlap,
//     no uncovered gap and no trailing bytes. The safetensors format requires
//     the byte buffer to be fully indexed, and the reference implementation
//     rejects files that are not, so this package does too.
//
// Each violation is reported as an *Error whose Kind is one of the Err*
// values below (test with errors.Is) and whose text names the file and, where
// relevant, the tensor.
//
// OpenIndex opens every shard named by an index once and checks that the
// index and the shards agree exactly: every indexed tensor lives in the shard
// the index names, every shard tensor is indexed, no tensor is stored twice,
// and no shard path leaves the index's directory (a lexical check; symbolic
// links are followed, as the Hugging Face cache layout relies on them). The
// index must be an object with a non-empty "weight_map" and an optional
// free-form "metadata" object (exposed as raw JSON; "total_size" is not
// checked against the shards); other keys and repeated keys are rejected.
//
// # Writing
//
// BuildHeader lays out a file from tensor names, dtypes and shapes alone, so
// a converter can write the header first and then each tensor at its known
// offset (WriteAt at len(header)+offset) without buffering the file. Writer
// wraps that pattern for an io.WriterAt.
package safetensors
