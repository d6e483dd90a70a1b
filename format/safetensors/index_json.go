package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// indexFile is the decoded content of a "*.safetensors.index.json" file.
type indexFile struct {
	metadata  map[string]json.RawMessage
	weightMap map[string]string // tensor name → shard file name
}

// parseIndexJSON decodes an index strictly: a single object with an optional
// "metadata" object and a required, non-empty "weight_map" object of strings;
// no other keys and no repeated keys at any of these levels.
func parseIndexJSON(path string, raw []byte) (*indexFile, error) {
	fail := func(format string, args ...any) error {
		return &Error{Index: path, Kind: ErrInvalidIndex, Detail: fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(raw) {
		return nil, fail("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	next := func() (json.Token, error) {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, &Error{Index: path, Kind: ErrInvalidIndex, Detail: "invalid JSON", Err: err}
		}
		return tok, nil
	}
	// object walks one object, calling value for each (unique) key.
	object := func(what string, value func(key string) error) error {
		tok, err := next()
		if err != nil {
			return err
		}
		if tok != json.Delim('{') {
			return fail("%s is %s, not an object", what, describe(tok))
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := next()
			if err != nil {
				return err
			}
			k, _ := tok.(string)
			if seen[k] {
				return &Error{Index: path, Kind: ErrDuplicateKey, Detail: fmt.Sprintf("key %q repeated in %s", k, what)}
			}
			seen[k] = true
			if err := value(k); err != nil {
				return err
			}
		}
		_, err = next()
		return err
	}

	idx := &indexFile{}
	err := object("the index", func(key string) error {
		switch key {
		case "metadata":
			idx.metadata = map[string]json.RawMessage{}
			return object("metadata", func(k string) error {
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					return &Error{Index: path, Kind: ErrInvalidIndex, Detail: "invalid JSON", Err: err}
				}
				idx.metadata[k] = v
				return nil
			})
		case "weight_map":
			idx.weightMap = map[string]string{}
			return object("weight_map", func(name string) error {
				tok, err := next()
				if err != nil {
					return err
				}
				shard, ok := tok.(string)
				if !ok {
					return &Error{Index: path, Tensor: name, Kind: ErrInvalidIndex,
						Detail: fmt.Sprintf("weight_map value is %s, not a shard file name", describe(tok))}
				}
				idx.weightMap[name] = shard
				return nil
			})
		default:
			return fail("unknown key %q", key)
		}
	})
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Index: path, Kind: ErrInvalidIndex, Detail: "unexpected data after the index object", Err: err}
	}
	if len(idx.weightMap) == 0 {
		return nil, fail("weight_map is missing or empty")
	}
	return idx, nil
}
