//go:build js

package jsapi

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"strings"
)

// A view's spec, from JavaScript: {"where": {field: value, …}, "orderBy":
// ["field", "-field", …]}. where keeps the entities whose top-level fields
// equal the given values (numbers by value; all must match); orderBy sorts by
// the fields in turn, "-" descending. Ties, and views without orderBy, go by
// id. A declarative spec is evaluated in Go, where the view lives, so that
// no entity crosses to JavaScript to be filtered or compared.
type viewSpec struct {
	Where   map[string]any `json:"where"`
	OrderBy []string       `json:"orderBy"`
}

// parseSpec returns the filter and order of spec.
func parseSpec(spec []byte) (where func(*obj) bool, order func(a, b *obj) int, err error) {
	var s viewSpec
	if len(spec) > 0 {
		if err := json.Unmarshal(spec, &s); err != nil {
			return nil, nil, errors.New("tandem: a view's spec: " + err.Error())
		}
	}
	if len(s.Where) > 0 {
		names := make([]string, 0, len(s.Where))
		wants := make([]any, 0, len(s.Where))
		for k, v := range s.Where {
			names, wants = append(names, k), append(wants, v)
		}
		where = func(v *obj) bool {
			for i, n := range names {
				got, _ := v.value(n)
				if compareValues(got, wants[i]) != 0 {
					return false
				}
			}
			return true
		}
	}
	if len(s.OrderBy) > 0 {
		type key struct {
			name string
			desc bool
		}
		keys := make([]key, len(s.OrderBy))
		for i, o := range s.OrderBy {
			name, desc := strings.CutPrefix(o, "-")
			if name == "" {
				return nil, nil, errors.New("tandem: an empty orderBy field")
			}
			keys[i] = key{name, desc}
		}
		order = func(a, b *obj) int {
			for _, k := range keys {
				x, _ := a.value(k.name)
				y, _ := b.value(k.name)
				if c := compareValues(x, y); c != 0 {
					if k.desc {
						return -c
					}
					return c
				}
			}
			return 0
		}
	}
	return where, order, nil
}

// rank orders values of different kinds: absent or null, booleans,
// numbers, strings, anything else (objects, arrays).
func rank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case float64:
		return 2
	case string:
		return 3
	}
	return 4
}

// compareValues compares two decoded JSON values: kinds by rank, then
// booleans false first, numbers by value, strings by code point, other
// values by their JSON text. Dates, which JSON carries as RFC 3339 text,
// sort by time as long as they share a time zone.
func compareValues(a, b any) int {
	if ra, rb := rank(a), rank(b); ra != rb {
		return cmp.Compare(ra, rb)
	}
	switch a := a.(type) {
	case bool:
		if a == b.(bool) {
			return 0
		}
		if !a {
			return -1
		}
		return 1
	case float64:
		return cmp.Compare(a, b.(float64))
	case string:
		return strings.Compare(a, b.(string))
	case nil:
		return 0
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Compare(x, y)
}
