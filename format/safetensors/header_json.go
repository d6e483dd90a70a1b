package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/wanconv/wanconv/tensor"
)

// metadataKey is the reserved header key holding free-form string metadata.
const metadataKey = "__metadata__"

// entry is one tensor as declared in a header; begin and end are relative
// to the start of the data area.
type entry struct {
	info       tensor.Info
	begin, end int64
}

// headerParser walks the JSON header token by token, so that duplicate keys
// (which encoding/json would silently merge) are seen and rejected.
type headerParser struct {
	path string
	dec  *json.Decoder
}

// parseHeaderJSON decodes and checks the header JSON of the file at path.
// It checks each entry on its own; placement in the data area is checked by
// checkLayout.
func parseHeaderJSON(path string, raw []byte) (map[string]string, []entry, error) {
	p := &headerParser{path: path}
	if !utf8.Valid(raw) {
		return nil, nil, p.fail("", ErrInvalidJSON, "header is not valid UTF-8")
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, nil, p.fail("", ErrInvalidJSON, "header does not start with '{'")
	}
	p.dec = json.NewDecoder(bytes.NewReader(raw))
	p.dec.UseNumber()
	if _, err := p.token(); err != nil { // the opening '{', checked above
		return nil, nil, err
	}
	var meta map[string]string
	var entries []entry
	seen := map[string]bool{}
	for p.dec.More() {
		key, err := p.key(seen, "")
		if err != nil {
			return nil, nil, err
		}
		if key == metadataKey {
			if meta, err = p.metadata(); err != nil {
				return nil, nil, err
			}
			continue
		}
		e, err := p.entry(key)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := p.token(); err != nil { // the closing '}'
		return nil, nil, err
	}
	if tok, err := p.dec.Token(); err != io.EOF {
		detail := fmt.Sprintf("unexpected %v after the header object", tok)
		if err != nil {
			detail = "unexpected data after the header object"
		}
		return nil, nil, &Error{File: path, Kind: ErrInvalidJSON, Detail: detail, Err: err}
	}
	return meta, entries, nil
}

func (p *headerParser) fail(tensorName string, kind error, format string, args ...any) error {
	return &Error{File: p.path, Tensor: tensorName, Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// token returns the next token; a syntax error (or a premature end) is an
// ErrInvalidJSON.
func (p *headerParser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &Error{File: p.path, Kind: ErrInvalidJSON, Err: err}
	}
	return tok, nil
}

// key reads an object key and rejects repeats; tensorName gives context.
func (p *headerParser) key(seen map[string]bool, tensorName string) (string, error) {
	tok, err := p.token()
	if err != nil {
		return "", err
	}
	k, _ := tok.(string) // the decoder only yields strings in key position
	if seen[k] {
		if tensorName == "" {
			tensorName = k
		}
		return "", p.fail(tensorName, ErrDuplicateKey, "key %q appears more than once", k)
	}
	seen[k] = true
	return k, nil
}

// openObject consumes a '{' or fails with kind.
func (p *headerParser) openObject(tensorName string, kind error, what string) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return p.fail(tensorName, kind, "%s is %s, not an object", what, describe(tok))
	}
	return nil
}

func (p *headerParser) metadata() (map[string]string, error) {
	if err := p.openObject(metadataKey, ErrInvalidMetadata, metadataKey); err != nil {
		return nil, err
	}
	meta := map[string]string{}
	seen := map[string]bool{}
	for p.dec.More() {
		k, err := p.key(seen, metadataKey)
		if err != nil {
			return nil, err
		}
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		v, ok := tok.(string)
		if !ok {
			return nil, p.fail(metadataKey, ErrInvalidMetadata, "value of %q is %s, not a string", k, describe(tok))
		}
		meta[k] = v
	}
	_, err := p.token()
	return meta, err
}

func (p *headerParser) entry(name string) (entry, error) {
	e := entry{info: tensor.Info{Name: name}}
	if err := p.openObject(name, ErrInvalidEntry, "the entry"); err != nil {
		return e, err
	}
	var offsets []int64
	seen := map[string]bool{}
	for p.dec.More() {
		k, err := p.key(seen, name)
		if err != nil {
			return e, err
		}
		switch k {
		case "dtype":
			err = p.dtype(&e)
		case "shape":
			e.info.Shape, err = p.ints(name, "shape", ErrInvalidShape, ErrShapeOverflow)
		case "data_offsets":
			offsets, err = p.ints(name, "data_offsets", ErrInvalidOffsets, ErrOffsetOutOfRange)
		default:
			err = p.fail(name, ErrInvalidEntry, "unknown field %q", k)
		}
		if err != nil {
			return e, err
		}
	}
	if _, err := p.token(); err != nil {
		return e, err
	}
	for _, f := range []string{"dtype", "shape", "data_offsets"} {
		if !seen[f] {
			return e, p.fail(name, ErrInvalidEntry, "missing field %q", f)
		}
	}
	if err := p.checkEntry(&e, offsets); err != nil {
		return e, err
	}
	return e, nil
}

func (p *headerParser) dtype(e *entry) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	s, ok := tok.(string)
	if !ok {
		return p.fail(e.info.Name, ErrInvalidEntry, "dtype is %s, not a string", describe(tok))
	}
	if e.info.DType, err = tensor.ParseSafetensorsDType(s); err != nil {
		return p.fail(e.info.Name, ErrUnknownDType, "%q", s)
	}
	return nil
}

// ints reads an array of non-negative int64 values; badKind is used for
// anything that is not such an integer, rangeKind for integers beyond int64.
func (p *headerParser) ints(name, field string, badKind, rangeKind error) ([]int64, error) {
	tok, err := p.token()
	if err != nil {
		return nil, err
	}
	if tok != json.Delim('[') {
		return nil, p.fail(name, badKind, "%s is %s, not an array", field, describe(tok))
	}
	out := []int64{}
	for p.dec.More() {
		tok, err := p.token()
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, p.fail(name, badKind, "%s[%d] is %s, not an integer", field, len(out), describe(tok))
		}
		v, err := strconv.ParseInt(num.String(), 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, p.fail(name, rangeKind, "%s[%d] = %s does not fit in int64", field, len(out), num)
		}
		if err != nil {
			return nil, p.fail(name, badKind, "%s[%d] = %s is not an integer", field, len(out), num)
		}
		if v < 0 {
			return nil, p.fail(name, badKind, "%s[%d] = %d is negative", field, len(out), v)
		}
		out = append(out, v)
	}
	_, err = p.token()
	return out, err
}

// checkEntry checks what can be checked of one entry without the file size.
func (p *headerParser) checkEntry(e *entry, offsets []int64) error {
	name := e.info.Name
	if len(offsets) != 2 {
		return p.fail(name, ErrInvalidOffsets, "data_offsets has %d values, want [begin, end]", len(offsets))
	}
	e.begin, e.end = offsets[0], offsets[1]
	if e.begin > e.end {
		return p.fail(name, ErrInvalidOffsets, "begin %d is after end %d", e.begin, e.end)
	}
	want := e.info.NumBytes()
	if want < 0 {
		return p.fail(name, ErrShapeOverflow, "shape %s of %s", tensor.ShapeString(e.info.Shape), e.info.DType)
	}
	if got := e.end - e.begin; got != want {
		return p.fail(name, ErrSizeMismatch, "shape %s of %s needs %d bytes, data_offsets [%d, %d] span %d",
			tensor.ShapeString(e.info.Shape), e.info.DType, want, e.begin, e.end, got)
	}
	return nil
}

// describe names a token's JSON type for error messages.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		if t == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}
