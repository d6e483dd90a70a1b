package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// ReportSchema identifies the JSON report format (documented in REPORT.md).
const ReportSchema = "wanconv-verify/1"

// Exit codes of the verifier.
const (
	ExitPass     = 0
	ExitMismatch = 1
	ExitBadInput = 2
)

// Report is the verifier's result; `--json` prints it as is.
type Report struct {
	Schema     string             `json:"schema"`
	Dir        string             `json:"dir"`
	Golden     string             `json:"golden,omitempty"`
	Reference  string             `json:"reference,omitempty"`
	Passed     bool               `json:"passed"`
	ExitCode   int                `json:"exit_code"`
	Components []*ComponentReport `json:"components"`
	// Problems lists every failed check, each naming component and tensor.
	Problems []string `json:"problems"`
	// Error is set when verification could not run (bad input, exit 2).
	Error string `json:"error,omitempty"`
}

// ComponentReport is one component's checks.
type ComponentReport struct {
	Name mapping.Component `json:"name"`
	// Expert is the A14B expert of a DiT report (high_noise_model or
	// low_noise_model); absent for a single model.
	Expert      layout.Expert   `json:"expert,omitempty"`
	Files       []string        `json:"files"`
	Layout      string          `json:"layout,omitempty"`
	Passed      bool            `json:"passed"`
	TensorCount int             `json:"tensor_count"`
	ParamCount  int64           `json:"param_count"`
	DTypes      map[string]int  `json:"dtypes"`
	Arch        json.RawMessage `json:"arch,omitempty"`
	// Quantization is set for a quantized DiT (counts and arch are then
	// those of the dense weights its Linears stand for).
	Quantization *QuantizationReport          `json:"quantization,omitempty"`
	Checks       []Check                      `json:"checks"`
	Forward      *ForwardReport               `json:"forward,omitempty"`
	Reference    map[string]*ErrorVsReference `json:"reference,omitempty"`
	Seconds      float64                      `json:"seconds"`
	PeakMemory   int64                        `json:"peak_memory_bytes,omitempty"`
}

// Check is one named pass/fail check with a short detail.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	// Info marks a note rather than a verification (always passed).
	Info   bool   `json:"info,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// ForwardReport is a forward pass on deterministic inputs.
type ForwardReport struct {
	Inputs  InputSpec        `json:"inputs"`
	Outputs map[string]Stats `json:"outputs"`
	// WorstDeviation is the largest statistic deviation from golden, in
	// units of the golden std (absent without a golden file).
	WorstDeviation *float64 `json:"worst_deviation_std,omitempty"`
	Tolerance      float64  `json:"tolerance,omitempty"`
}

// unit is what the report is about.
func (c *ComponentReport) unit() unit { return unit{c.Name, c.Expert} }

// note records an informational check: it passes, and says why a check
// could not be made.
func (c *ComponentReport) note(name string, format string, args ...any) {
	c.Checks = append(c.Checks, Check{Name: name, Passed: true, Info: true, Detail: fmt.Sprintf(format, args...)})
}

func (c *ComponentReport) check(name string, passed bool, format string, args ...any) {
	c.Checks = append(c.Checks, Check{Name: name, Passed: passed, Detail: fmt.Sprintf(format, args...)})
}

// tensorsOK reports whether the tensor-set checks passed (forward passes
// need every weight the architecture uses).
func (c *ComponentReport) tensorsOK() bool {
	for _, ch := range c.Checks {
		if !ch.Passed && (ch.Name == "tensors" || strings.HasPrefix(ch.Name, "tensors.")) {
			return false
		}
	}
	return true
}

// finish derives pass/fail and the exit code from the component checks.
func (r *Report) finish() {
	r.Schema = ReportSchema
	r.Passed = true
	r.Problems = []string{}
	if r.Components == nil {
		r.Components = []*ComponentReport{}
	}
	for _, c := range r.Components {
		c.Passed = true
		for _, ch := range c.Checks {
			if !ch.Passed {
				c.Passed = false
				r.Problems = append(r.Problems, fmt.Sprintf("%s: %s: %s", c.unit(), ch.Name, ch.Detail))
			}
		}
		if !c.Passed {
			r.Passed = false
		}
	}
	switch {
	case r.Error != "":
		r.Passed, r.ExitCode = false, ExitBadInput
	case r.Passed:
		r.ExitCode = ExitPass
	default:
		r.ExitCode = ExitMismatch
	}
}

// WriteJSON prints the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText prints a human summary.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "wanconv verify %s\n", r.Dir)
	if r.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", r.Error)
	}
	for _, c := range r.Components {
		if c.TensorCount > 0 {
			fmt.Fprintf(w, "\n[%s] %s  (%d tensors, %s params, %s, %.1fs)\n", strings.ToUpper(c.unit().String()),
				verdict(c.Passed), c.TensorCount, groupDigits(c.ParamCount), dtypeSummary(c.DTypes), c.Seconds)
		} else {
			fmt.Fprintf(w, "\n[%s] %s  (%.1fs)\n", strings.ToUpper(c.unit().String()), verdict(c.Passed), c.Seconds)
		}
		for _, ch := range c.Checks {
			fmt.Fprintf(w, "  %-4s %-34s %s\n", verdict(ch.Passed), ch.Name, ch.Detail)
		}
		if c.Forward != nil {
			for _, name := range slices.Sorted(maps.Keys(c.Forward.Outputs)) {
				s := c.Forward.Outputs[name]
				fmt.Fprintf(w, "       forward %-8s shape %v min %.4f max %.4f mean %.4f std %.4f\n",
					name, s.Shape, s.Min, s.Max, s.Mean, s.Std)
			}
		}
		if c.PeakMemory > 0 {
			fmt.Fprintf(w, "       peak MLX memory %.1f MiB\n", float64(c.PeakMemory)/(1<<20))
		}
	}
	fmt.Fprintf(w, "\nresult: %s (exit %d)\n", verdict(r.Passed), r.ExitCode)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  - %s\n", p)
	}
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func dtypeSummary(h map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(h)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, h[k]))
	}
	return strings.Join(parts, " ")
}

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}
