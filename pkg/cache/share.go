package cache

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// deepEqual is the default equality of data: Go's structural sharing keeps
// the cached value when a new one is deep-equal to it. Values that
// reflect.DeepEqual cannot tell equal (functions, NaN) count as changed.
func deepEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

// rawJSON is data restored by Hydrate: JSON not yet decoded, because the
// cache learns the Go type only when a typed reader (an Observer,
// GetQueryData, a select) asks for it.
type rawJSON []byte

// as converts cached data to T, decoding hydrated JSON.
func as[T any](v any) (T, error) {
	var zero T
	if raw, ok := v.(rawJSON); ok {
		var t T
		if err := json.Unmarshal(raw, &t); err != nil {
			return zero, fmt.Errorf("cache: decode restored data as %T: %w", zero, err)
		}
		return t, nil
	}
	if t, ok := v.(T); ok {
		return t, nil
	}
	return zero, fmt.Errorf("%w: have %T, want %s", ErrTypeMismatch, v, reflect.TypeFor[T]())
}

// isRaw reports whether v is hydrated JSON, not yet decoded.
func isRaw(v any) bool {
	_, ok := v.(rawJSON)
	return ok
}

// settle replaces hydrated JSON in q by its decoded value (same version), so
// that later typed reads do not decode again.
func settle[T any](q *query, v T) {
	if _, ok := q.state.data.(rawJSON); ok {
		q.state.data = v
	}
}
