package mapping

import (
	"errors"
	"fmt"
	"strings"
)

// ProblemKind classifies one finding of the completeness check.
type ProblemKind string

const (
	ProblemUnknown    ProblemKind = "unknown"     // no rule matches the name
	ProblemAmbiguous  ProblemKind = "ambiguous"   // more than one rule matches
	ProblemUnexpected ProblemKind = "unexpected"  // a rule matches, but the inferred architecture has no such tensor
	ProblemMissing    ProblemKind = "missing"     // the architecture requires it, the source lacks it
	ProblemDuplicate  ProblemKind = "duplicate"   // the name occurs more than once in the source
	ProblemShape      ProblemKind = "wrong-shape" // present with another shape than the architecture requires
	ProblemCollision  ProblemKind = "collision"   // two source tensors map to one target name
	ProblemDType      ProblemKind = "dtype"       // not a floating-point tensor
	ProblemArch       ProblemKind = "architecture"
)

// Problem is one finding; Name is the tensor concerned (empty for
// architecture-level problems).
type Problem struct {
	Kind   ProblemKind `json:"kind"`
	Name   string      `json:"name,omitempty"`
	Detail string      `json:"detail"`
}

func (p Problem) String() string {
	if p.Name == "" {
		return fmt.Sprintf("%s: %s", p.Kind, p.Detail)
	}
	return fmt.Sprintf("%s tensor %s: %s", p.Kind, p.Name, p.Detail)
}

// PlanError lists every problem found while planning a component. File is
// empty unless the caller sets it (the mapping package does no I/O).
type PlanError struct {
	File      string
	Component Component
	Problems  []Problem
}

// maxListed bounds the problems spelled out in Error; all stay in Problems.
const maxListed = 50

func (e *PlanError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%s: %d problem(s)", e.Component, len(e.Problems))
	for i, p := range e.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.Problems)-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Has reports whether a problem of that kind names that tensor.
func (e *PlanError) Has(kind ProblemKind, name string) bool {
	for _, p := range e.Problems {
		if p.Kind == kind && p.Name == name {
			return true
		}
	}
	return false
}

// ProblemKinds is Kinds of err when err is or wraps a *PlanError, else nil.
func ProblemKinds(err error) map[string]ProblemKind {
	var pe *PlanError
	if !errors.As(err, &pe) {
		return nil
	}
	return pe.Kinds()
}

// Kinds maps each tensor name the problems mention to the kind of its first
// problem; problems without a name are left out. Tests and callers use it
// to see at a glance which tensors are wrong and how.
func (e *PlanError) Kinds() map[string]ProblemKind {
	kinds := make(map[string]ProblemKind, len(e.Problems))
	for _, p := range e.Problems {
		if _, seen := kinds[p.Name]; !seen && p.Name != "" {
			kinds[p.Name] = p.Kind
		}
	}
	return kinds
}
