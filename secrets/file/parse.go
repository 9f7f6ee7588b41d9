package file

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/sandgate/sandgate/secrets"
)

// load reads and parses the file at path.
func load(path string) (map[string]map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secrets/file: %w", err)
	}
	data, err := parse(b)
	if err != nil {
		var pe *parseError
		if errors.As(err, &pe) {
			offset := pe.offset
			if !pe.syntax {
				offset = skipSeparators(b, offset)
			}
			line, col := position(b, offset)
			return nil, fmt.Errorf("secrets/file: %s:%d:%d: %s", path, line, col, pe.msg)
		}
		return nil, fmt.Errorf("secrets/file: %s: %w", path, err)
	}
	return data, nil
}

// parseError is a problem at a byte offset of the file. Its message never
// quotes a value: only paths, field names and JSON kinds.
type parseError struct {
	offset int64
	msg    string
	syntax bool // offset is where the decoder stopped, not the start of a token
}

func (e *parseError) Error() string { return e.msg }

// parse decodes {"path": {"field": value}} where each value is a string, a
// number or a bool; numbers and bools become their JSON text. Duplicate
// paths or fields and paths that CleanPath refuses are errors.
func parse(b []byte) (map[string]map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := expectDelim(dec, '{', "the file must hold a JSON object of paths"); err != nil {
		return nil, err
	}
	data := make(map[string]map[string]string)
	for dec.More() {
		at := dec.InputOffset()
		path, err := key(dec)
		if err != nil {
			return nil, err
		}
		if _, err := secrets.CleanPath(path); err != nil {
			return nil, &parseError{offset: at, msg: err.Error()}
		}
		if _, dup := data[path]; dup {
			return nil, &parseError{offset: at, msg: fmt.Sprintf("path %q appears twice", path)}
		}
		fields, err := parseFields(dec, path)
		if err != nil {
			return nil, err
		}
		data[path] = fields
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, tokenError(dec, err)
	}
	at := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, &parseError{offset: at, msg: "unexpected data after the top-level object"}
	}
	return data, nil
}

func parseFields(dec *json.Decoder, path string) (map[string]string, error) {
	if err := expectDelim(dec, '{', fmt.Sprintf("path %q: want an object of fields", path)); err != nil {
		return nil, err
	}
	fields := make(map[string]string)
	for dec.More() {
		at := dec.InputOffset()
		name, err := key(dec)
		if err != nil {
			return nil, err
		}
		if _, dup := fields[name]; dup {
			return nil, &parseError{offset: at, msg: fmt.Sprintf("path %q: field %q appears twice", path, name)}
		}
		at = dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil, tokenError(dec, err)
		}
		switch v := tok.(type) {
		case string:
			fields[name] = v
		case json.Number:
			fields[name] = v.String()
		case bool:
			fields[name] = fmt.Sprint(v)
		default:
			return nil, &parseError{offset: at, msg: fmt.Sprintf("path %q: field %q: want a string, number or bool, got %s", path, name, kind(tok))}
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, tokenError(dec, err)
	}
	return fields, nil
}

// key reads an object key.
func key(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", tokenError(dec, err)
	}
	return tok.(string), nil // the decoder only yields strings as keys
}

func expectDelim(dec *json.Decoder, want json.Delim, msg string) error {
	at := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		return tokenError(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return &parseError{offset: at, msg: msg + ", got " + kind(tok)}
	}
	return nil
}

func kind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return "'" + v.String() + "'"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// tokenError turns a decoder error into a parseError with a position. The
// decoder's own messages name characters, not values.
func tokenError(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return &parseError{offset: se.Offset, msg: se.Error(), syntax: true}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &parseError{offset: dec.InputOffset(), msg: "unexpected end of JSON input", syntax: true}
	}
	return &parseError{offset: dec.InputOffset(), msg: err.Error(), syntax: true}
}

// skipSeparators moves an offset taken between tokens (json.Decoder's
// InputOffset) to the start of the next token.
func skipSeparators(b []byte, offset int64) int64 {
	for offset < int64(len(b)) {
		switch b[offset] {
		case ' ', '\t', '\r', '\n', ',', ':':
			offset++
			continue
		}
		break
	}
	return offset
}

// position returns the 1-based line and column of a byte offset.
func position(b []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(b)))
	before := b[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
