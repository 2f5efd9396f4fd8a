package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
)

// pickJSON returns the JSON object made of the named top-level members of
// obj, in the order of names. obj must be a JSON object as encoding/json
// writes it; names missing from it are skipped and reported. It scans obj
// once rather than decoding it into a map: a PATCH body is built on every
// keystroke.
func pickJSON(obj []byte, names []string) (out []byte, missing []string, err error) {
	vals := make(map[string][]byte, len(names))
	want := make(map[string]bool, len(names))
	for _, n := range names {
		want[n] = true
	}
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, nil, errors.New("store: not a JSON object")
	}
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] != '}' {
		kEnd, err := skipString(obj, i)
		if err != nil {
			return nil, nil, err
		}
		key := obj[i:kEnd]
		i = skipSpace(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return nil, nil, errors.New("store: malformed JSON object")
		}
		vStart := skipSpace(obj, i+1)
		vEnd, err := skipValue(obj, vStart)
		if err != nil {
			return nil, nil, err
		}
		if name, ok := keyName(key); ok && want[name] {
			vals[name] = obj[vStart:vEnd]
		}
		i = skipSpace(obj, vEnd)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
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

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i].
func skipString(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return 0, errors.New("store: malformed JSON string")
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errors.New("store: unterminated JSON string")
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("store: missing JSON value")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return 0, errors.New("store: unterminated JSON value")
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\n', '\t', '\r':
			return i, nil
		}
	}
	return i, nil
}

// jsonMember returns the raw value of the top-level member name of the JSON
// object obj, and whether obj has it.
func jsonMember(obj []byte, name string) ([]byte, bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, false
	}
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] != '}' {
		kEnd, err := skipString(obj, i)
		if err != nil {
			return nil, false
		}
		key := obj[i:kEnd]
		i = skipSpace(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return nil, false
		}
		vStart := skipSpace(obj, i+1)
		vEnd, err := skipValue(obj, vStart)
		if err != nil {
			return nil, false
		}
		if k, ok := keyName(key); ok && k == name {
			return obj[vStart:vEnd], true
		}
		i = skipSpace(obj, vEnd)
		if i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	return nil, false
}
