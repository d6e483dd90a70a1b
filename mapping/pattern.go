package mapping

import "strings"

// A pattern matches a dotted tensor name segment by segment. Each pattern
// segment is one of:
//
//	#       a non-negative decimal integer without leading zeros
//	*       any single segment
//	a|b|c   one of the listed literals
//
// Patterns never match part of a segment: "residual.#" matches
// "residual.0" but not "myresidual.0" or "residual.0x".
type pattern struct {
	text string
	segs []patternSeg
}

type segKind int

const (
	segLiteral segKind = iota
	segInteger
	segAny
)

type patternSeg struct {
	kind     segKind
	literals []string
}

func compilePattern(text string) pattern {
	parts := strings.Split(text, ".")
	p := pattern{text: text, segs: make([]patternSeg, len(parts))}
	for i, s := range parts {
		switch s {
		case "#":
			p.segs[i] = patternSeg{kind: segInteger}
		case "*":
			p.segs[i] = patternSeg{kind: segAny}
		default:
			p.segs[i] = patternSeg{kind: segLiteral, literals: strings.Split(s, "|")}
		}
	}
	return p
}

// match reports whether the already split name matches the pattern.
func (p pattern) match(segs []string) bool {
	if len(segs) != len(p.segs) {
		return false
	}
	for i, ps := range p.segs {
		if !ps.match(segs[i]) {
			return false
		}
	}
	return true
}

func (ps patternSeg) match(s string) bool {
	switch ps.kind {
	case segInteger:
		return isIndex(s)
	case segAny:
		return s != ""
	}
	for _, l := range ps.literals {
		if l == s {
			return true
		}
	}
	return false
}

// isIndex reports whether s is a canonical non-negative integer ("0", "12"),
// the way PyTorch names the children of Sequential and ModuleList.
func isIndex(s string) bool {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// indexValue parses a segment accepted by isIndex.
func indexValue(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
