package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/tandemkit/tandem/pkg/wire"
)

// pickJSON returns the JSON object made of the named top-level members of
// obj, in the order of names. obj must be a JSON object as encoding/json
// writes it; names missing from it are skipped and reported. It scans obj
// once rather than decoding it into a map: a PATCH body is built on every
// keystroke.
func pickJSON(obj []byte, names []string) (out []byte, missing []string, err error) {
	if i := bytes.IndexFunc(obj, func(r rune) bool { return r != ' ' && r != '\t' && r != '\n' && r != '\r' }); i < 0 || obj[i] != '{' {
		return nil, nil, errors.New("store: not a JSON object")
	}
	vals := make(map[string][]byte, len(names))
	for k, v, next := wire.NextMember(obj, 0); next >= 0; k, v, next = wire.NextMember(obj, next) {
		if name, ok := keyName(k); ok && slices.Contains(names, name) {
			vals[name] = v
		}
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			continue // named twice ("id" and a form that lists it)
		}
		v, ok := vals[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(n)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), missing, nil
}

// keyName decodes a JSON string token; plain keys (the usual case) need no
// decoding.
func keyName(tok []byte) (string, bool) {
	if bytes.IndexByte(tok, '\\') < 0 {
		return string(tok[1 : len(tok)-1]), true
	}
	s, err := strconv.Unquote(string(tok))
	return s, err == nil
}

// jsonMember returns the raw value of the top-level member name of the JSON
// object obj, and whether obj has it.
func jsonMember(obj []byte, name string) ([]byte, bool) {
	for k, v, next := wire.NextMember(obj, 0); next >= 0; k, v, next = wire.NextMember(obj, next) {
		if key, ok := keyName(k); ok && key == name {
			return v, true
		}
	}
	return nil, false
}
