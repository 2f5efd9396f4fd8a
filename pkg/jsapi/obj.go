//go:build js

package jsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/tandemkit/tandem/pkg/wire"
)

// An obj is one entity as the JavaScript API holds it: an immutable JSON
// object, kept as its text. Every collection JavaScript reaches holds objs,
// whether its entity is declared in Go (whose forms then validate it) or
// from JavaScript: one instantiation of the store's generic code serves
// them all, which keeps the WebAssembly module small, and an entity crosses
// to JavaScript as the text it already is.
type obj struct {
	raw []byte
	// The fields views compare, decoded on first need; most views read one
	// or two, so a small list beats a map.
	names []string
	vals  []any
	oks   []bool
}

// value returns the top-level field name, decoded as JavaScript would see
// it (numbers as float64), and whether the object has it.
func (o *obj) value(name string) (any, bool) {
	for i, n := range o.names {
		if n == name {
			return o.vals[i], o.oks[i]
		}
	}
	raw, ok := topField(o.raw, name)
	var v any
	if ok {
		v = scalar(raw)
	}
	o.names, o.vals, o.oks = append(o.names, name), append(o.vals, v), append(o.oks, ok)
	return v, ok
}

// fieldsOf decodes a JSON object's top-level fields.
func fieldsOf(raw []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("tandem: a value must be a JSON object")
	}
	return m, nil
}

// merge returns o with the fields of set replaced, and those of keys (set's
// keys, sorted) that o lacks added in that order: a copy of o's text with
// the values spliced in, in the order o has its fields. A pending patch is
// replayed this way whenever its entity is recomputed, so it avoids
// decoding and encoding the object.
func merge(o *obj, keys []string, set map[string]json.RawMessage) *obj {
	raw := o.raw
	out := append(make([]byte, 0, len(raw)+64), '{')
	var had []string
	for i := 0; ; {
		var key, val []byte
		if key, val, i = wire.NextMember(raw, i); i < 0 {
			break
		}
		if v, ok := set[keyName(key)]; ok {
			val = v
			had = append(had, keyName(key))
		}
		out = appendMember(out, key, val)
	}
	for _, k := range keys {
		if !slices.Contains(had, k) {
			out = appendMember(out, appendString(nil, k), set[k])
		}
	}
	return &obj{raw: append(out, '}')}
}

// appendMember appends "key":val to the JSON object being written in b.
func appendMember(b, key, val []byte) []byte {
	return append(append(append(appendSep(b), key...), ':'), val...)
}

// patchKeys returns the fields a JSON patch sets, without "id", sorted,
// and their values.
func patchKeys(patch []byte) ([]string, map[string]json.RawMessage, error) {
	m, err := fieldsOf(patch)
	if err != nil {
		return nil, nil, err
	}
	delete(m, "id")
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys, m, nil
}

// idOf returns the string under key in a JSON object, or "".
func idOf(raw []byte, key string) string {
	if v, ok := topField(raw, key); ok && len(v) > 0 && v[0] == '"' {
		return strings.TrimSpace(keyName(v))
	}
	return ""
}

// withID returns raw, a JSON object, with key set to id and without drop
// ("" for none), its keys sorted.
func withID(raw []byte, key, id, drop string) ([]byte, error) {
	m, err := fieldsOf(raw)
	if err != nil {
		return nil, err
	}
	if drop != "" {
		delete(m, drop)
	}
	m[key] = json.RawMessage(appendString(nil, id))
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // the values are valid JSON already
	}
	return b, nil
}

// renameID returns o with the id that from holds under fromKey set under
// toKey, without fromKey when the names differ and o is from itself (no
// hook made it).
func renameID(o, from []byte, fromKey, toKey string) ([]byte, error) {
	drop := ""
	if fromKey != toKey && bytes.Equal(o, from) {
		drop = fromKey
	}
	return withID(o, toKey, idOf(from, fromKey), drop)
}

// changedFields returns the top-level fields but "id" whose JSON differs.
func changedFields(before, after []byte) []string {
	a, _ := fieldsOf(before)
	b, _ := fieldsOf(after)
	var out []string
	for k, v := range b {
		if k != "id" && !bytes.Equal(a[k], v) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
