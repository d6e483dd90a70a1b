package layout

import (
	"encoding/json"

	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/mapping"
)

// ManifestTool is the Tool of every manifest wanconv writes.
const ManifestTool = "wanconv"

// MaxManifestSize caps the manifest read: it holds a sha256 per tensor, a
// few hundred kB for the largest release, so anything past this is refused
// rather than read.
const MaxManifestSize = 64 << 20

// ManifestDoc is the content of the file Manifest: the converter's record
// of a converted directory. It holds nothing time- or host-dependent, so converting the
// same release twice gives the same bytes.
type ManifestDoc struct {
	Tool    string `json:"tool"`
	Version string `json:"version"`
	Format  string `json:"format"`
	Layout  string `json:"layout"`
	// Release is the release kind (ti2v-5B, t2v-A14B, i2v-A14B); empty for
	// a single model of no Wan2.2 release.
	Release      mapping.ReleaseKind          `json:"release,omitempty"`
	DTypes       map[mapping.Component]string `json:"dtypes"` // requested dtype
	MaxShardSize int64                        `json:"max_shard_size"`
	// Quantization is the DiTs' quantization (--quantize); absent when
	// their Linears are dense.
	Quantization *Quantization `json:"quantization,omitempty"`
	// Architectures holds each component's architecture as inferred by
	// the mapping package (mapping.DiTArch, T5Arch, VAEArch); for an A14B
	// release "dit" maps each expert to its architecture.
	Architectures map[mapping.Component]any `json:"architectures"`
	Sources       []SourceFile              `json:"sources"`
	Files         []ManifestEntry           `json:"files"`
	Warnings      []string                  `json:"warnings"`
}

// Quantization is the "quantization" object of a quantized DiT: in the
// manifest and in its config.json (the entry mlx-video's and mlx-lm's
// loaders read).
type Quantization struct {
	GroupSize int `json:"group_size"`
	Bits      int `json:"bits"`
}

// SourceFile is one input file of the conversion.
type SourceFile struct {
	Path  string `json:"path"` // relative to the source directory, slash-separated
	Bytes int64  `json:"bytes"`
}

// ManifestEntry is one file of the converted directory.
type ManifestEntry struct {
	Path      string            `json:"path"`
	Kind      string            `json:"kind"` // "safetensors", "index", "config" or "copy"
	Component mapping.Component `json:"component,omitempty"`
	// Expert is the A14B expert a DiT file belongs to.
	Expert     Expert `json:"expert,omitempty"`
	SHA256     string `json:"sha256"`
	Bytes      int64  `json:"bytes"`
	Tensors    int    `json:"tensors,omitempty"`
	Parameters int64  `json:"parameters,omitempty"`
	DType      string `json:"dtype,omitempty"` // output dtype(s), "+"-joined when mixed
	// TensorSHA256 maps every tensor of a safetensors file to the sha256 of
	// its data bytes, so a verifier can name the tensor a corruption hit.
	TensorSHA256 map[string]string `json:"tensor_sha256,omitempty"`
}

// ManifestError is a manifest that does not decode.
type ManifestError struct {
	Path string
	Err  error
}

func (e *ManifestError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *ManifestError) Unwrap() error { return e.Err }

// ReadManifest reads and decodes the manifest at path through safefs
// (regular files only, at most MaxManifestSize bytes). A missing file is
// an error satisfying errors.Is(err, fs.ErrNotExist).
func ReadManifest(path string) (*ManifestDoc, error) {
	return ReadManifestWith(safefs.ReadFile, path)
}

// ReadManifestWith is ReadManifest with another size-capped safe reader,
// e.g. a read inside an open output directory ((*safefs.OutDir).ReadFile);
// read gets path and MaxManifestSize.
func ReadManifestWith(read func(path string, max int64) ([]byte, error), path string) (*ManifestDoc, error) {
	raw, err := read(path, MaxManifestSize)
	if err != nil {
		return nil, err
	}
	var m ManifestDoc
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, &ManifestError{Path: path, Err: err}
	}
	return &m, nil
}
