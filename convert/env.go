package convert

import (
	"os"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/tensor"
)

// env is everything one conversion does to the world outside its own
// memory that tests substitute, carried by the conversion instead of
// package variables: Convert runs with realEnv, and a test builds its own
// env for the one call it injects a fault into, so tests that do not share
// a directory run in parallel.
type env struct {
	storage storage
	limits  limits
	// commitStep, when not nil, is called before every commit step with its
	// name ("journal", "mark", "aside <file>", "place <file>", "sync",
	// "cleanup"). A non-nil error stops the run dead at that point, as a
	// kill -9 would (nothing is cleaned up); tests use it to kill at every
	// step.
	commitStep func(step string) error
}

// storage opens the release's checkpoints and creates and moves the output
// files. osStorage is the real one; tests wrap it to fail a read, a write,
// a flush or a rename.
type storage interface {
	// openSafetensors opens a DiT checkpoint (a file or an index).
	openSafetensors(open opener, path string) (tensor.Source, error)
	// openPth opens a T5 or VAE checkpoint.
	openPth(open opener, path string) (tensor.Source, error)
	// create creates a new output file (it must not exist).
	create(path string) (sink, error)
	// rename is the rename of the commit's aside and place steps.
	rename(o *safefs.OutDir, from, to string) error
}

// opener opens a release file for reading: (*safefs.Root).OpenPath, so
// that nothing outside the release and nothing but regular files is read.
type opener = func(path string) (*os.File, error)

// limits bound the memory of the writer; tests lower them.
type limits struct {
	// maxTensorBuffer caps the whole-tensor buffer of a tensor that cannot be
	// read in place (writer.go).
	maxTensorBuffer int64
	// quantBlockBytes is the source bytes quantized per block (whole rows, at
	// least one; quantize.go).
	quantBlockBytes int
}

// defaultLimits are the limits of every real conversion.
func defaultLimits() limits {
	return limits{maxTensorBuffer: defaultMaxTensorBuffer, quantBlockBytes: chunkBytes}
}

// realEnv is the environment of Convert.
func realEnv() env { return env{storage: osStorage{}, limits: defaultLimits()} }

// osStorage is storage on the real filesystem and the real readers.
type osStorage struct{}

func (osStorage) openSafetensors(open opener, path string) (tensor.Source, error) {
	return safetensors.OpenAutoWith(open, path)
}

func (osStorage) openPth(open opener, path string) (tensor.Source, error) {
	return pth.OpenWith(open, path)
}

func (osStorage) create(path string) (sink, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
}

func (osStorage) rename(o *safefs.OutDir, from, to string) error { return o.Rename(from, to) }
