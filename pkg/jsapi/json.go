//go:build js

package jsapi

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/tandemkit/tandem/pkg/wire"
)

// appendString appends s as a JSON string: the batches that cross to
// JavaScript are built by hand, once, from JSON already encoded per item.
// Only what JSON requires is escaped: the text reaches JavaScript as a
// string (decoded from UTF-8, as every Go string that crosses), and
// JSON.parse takes U+2028 and U+2029 as they are.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

const hex = "0123456789abcdef"

// appendSep appends the comma before a JSON array's or object's next
// element, unless b ends with the opening bracket or brace.
func appendSep(b []byte) []byte {
	if c := b[len(b)-1]; c != '[' && c != '{' {
		return append(b, ',')
	}
	return b
}

// appendRaw appends the JSON j, or null for none.
func appendRaw(b, j []byte) []byte {
	if j == nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// appendInt appends n in decimal.
func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// topField returns the JSON of field name at the top level of the object
// raw, without decoding the rest: a view reads one or two fields of each
// entity, and encoding/json's map decoding of the whole object cost most of
// a first delivery. raw is valid JSON (it came through encoding/json).
func topField(raw []byte, name string) ([]byte, bool) {
	for i := 0; ; {
		var key, val []byte
		if key, val, i = wire.NextMember(raw, i); i < 0 {
			return nil, false
		}
		if keyIs(key, name) {
			return val, true
		}
	}
}

// keyIs reports whether the JSON string key says name.
func keyIs(key []byte, name string) bool {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key[1:len(key)-1]) == name
	}
	return keyName(key) == name
}

// keyName returns what the JSON string key says.
func keyName(key []byte) string {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key[1 : len(key)-1])
	}
	var s string
	json.Unmarshal(key, &s)
	return s
}

// scalar decodes a JSON value as a view compares it: strings, float64
// numbers, booleans and nil directly; objects and arrays with encoding/json.
func scalar(v []byte) any {
	if len(v) == 0 {
		return nil
	}
	switch v[0] {
	case '"':
		if bytes.IndexByte(v, '\\') < 0 {
			return string(v[1 : len(v)-1])
		}
	case 't':
		return true
	case 'f':
		return false
	case 'n':
		return nil
	case '{', '[':
	default:
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			return f
		}
	}
	var out any
	if json.Unmarshal(v, &out) != nil {
		return nil
	}
	return out
}
