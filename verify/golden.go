package verify

import (
	"encoding/json"
	"fmt"

	"github.com/wanconv/wanconv/internal/safefs"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// GoldenSchema identifies the golden file format.
const GoldenSchema = "wanconv-golden/1"

// DefaultStatsTolerance is how far (in units of the golden output's std) each
// recorded statistic may move before verification fails. It absorbs the
// difference between bfloat16 and float32 weights and between backends (CPU,
// Metal, CUDA), while a wrong weight layout moves statistics by far more.
const DefaultStatsTolerance = 2e-2

// Golden is what a trusted checkpoint looks like: counts, architecture and
// forward statistics on the documented deterministic inputs. Teams record one
// from a trusted conversion (`--record-golden`) and gate later checkpoints
// against it (`--golden`).
type Golden struct {
	Schema      string                                 `json:"schema"`
	Description string                                 `json:"description,omitempty"`
	Components  map[mapping.Component]*ComponentGolden `json:"components"`
	// Experts holds the DiT of an A14B checkpoint, one entry per expert
	// (high_noise_model, low_noise_model); Components then has no "dit".
	Experts map[layout.Expert]*ComponentGolden `json:"experts,omitempty"`
}

// of returns the golden entry of a unit (nil when absent).
func (g *Golden) of(u unit) *ComponentGolden {
	if g == nil {
		return nil
	}
	if u.expert != "" {
		return g.Experts[u.expert]
	}
	return g.Components[u.component]
}

// set records a unit's golden entry.
func (g *Golden) set(u unit, c *ComponentGolden) {
	if u.expert == "" {
		g.Components[u.component] = c
		return
	}
	if g.Experts == nil {
		g.Experts = map[layout.Expert]*ComponentGolden{}
	}
	g.Experts[u.expert] = c
}

// ComponentGolden holds one component's expected facts.
type ComponentGolden struct {
	ParamCount  int64           `json:"param_count"`
	TensorCount int             `json:"tensor_count"`
	Arch        json.RawMessage `json:"arch,omitempty"`
	Forward     *ForwardGolden  `json:"forward,omitempty"`
}

// ForwardGolden records a forward pass: the inputs' recipe and the outputs'
// statistics.
type ForwardGolden struct {
	Inputs InputSpec `json:"inputs"`
	// WeightDType is the dtype of the weights the statistics were recorded
	// with (informational).
	WeightDType string           `json:"weight_dtype,omitempty"`
	Outputs     map[string]Stats `json:"outputs"`
	Tolerance   float64          `json:"tolerance"`
}

// InputSpec is the recipe for a component's deterministic inputs: the model
// packages document the generators that turn it into tensors.
type InputSpec struct {
	Seed uint64 `json:"seed"`
	// DiT: latent [in_dim, Frames, Height, Width] and ContextLen text tokens;
	// Timestep is informational: the generator draws it from the seed (and
	// sets the first latent frame's tokens to 0 for ti2v).
	// VAE: video [3, Frames, Height, Width].
	Frames     int     `json:"frames,omitempty"`
	Height     int     `json:"height,omitempty"`
	Width      int     `json:"width,omitempty"`
	ContextLen int     `json:"context_len,omitempty"`
	Timestep   float64 `json:"timestep,omitempty"`
	// T5: Tokens ids of which ValidTokens are unmasked.
	Tokens      int `json:"tokens,omitempty"`
	ValidTokens int `json:"valid_tokens,omitempty"`
}

// LoadGolden reads and validates a golden file.
func LoadGolden(path string) (*Golden, error) {
	b, err := safefs.ReadFile(path, maxGoldenJSON)
	if err != nil {
		return nil, fmt.Errorf("golden file: %w", err)
	}
	var g Golden
	dec := json.NewDecoder(bytesReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("golden file %s: %w", path, err)
	}
	if g.Schema != GoldenSchema {
		return nil, fmt.Errorf("golden file %s: schema %q, want %q", path, g.Schema, GoldenSchema)
	}
	entries := map[string]*ComponentGolden{}
	for name, c := range g.Components {
		if !knownComponent(name) {
			return nil, fmt.Errorf("golden file %s: unknown component %q", path, name)
		}
		entries["component "+string(name)] = c
	}
	for e, c := range g.Experts {
		if _, err := layout.ParseExpert(string(e)); err != nil {
			return nil, fmt.Errorf("golden file %s: experts: %w", path, err)
		}
		entries["expert "+string(e)] = c
	}
	if len(g.Experts) > 0 && g.Components[mapping.ComponentDiT] != nil {
		return nil, fmt.Errorf("golden file %s: both a single DiT (components.dit) and experts", path)
	}
	for name, c := range entries {
		if c == nil {
			return nil, fmt.Errorf("golden file %s: %s is null", path, name)
		}
		if c.Forward != nil && c.Forward.Tolerance <= 0 {
			return nil, fmt.Errorf("golden file %s: %s: tolerance must be > 0", path, name)
		}
	}
	return &g, nil
}

// Save writes the golden file atomically.
func (g *Golden) Save(path string) error {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}
