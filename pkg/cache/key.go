package cache

import (
	"fmt"
	"math"
	"strconv"
)

// A Key names a query or a mutation: a list of segments, for example
// Key{"todos", M{"page": 1, "done": false}}.
//
// A segment is nil, a bool, a string, any integer or float type (NaN and
// infinities excluded), an M or map[string]any, or a []any or Key holding
// segments in turn, up to 64 levels deep. Anything else makes the key
// invalid (ErrInvalidKey), reported by the operation that received it; no
// operation panics on a bad key.
//
// Hashing follows TanStack Query's hashKey: map entries hash in sorted key
// order, so maps are order-insensitive; lists are order-sensitive; a map
// entry whose value is nil hashes as if absent (JavaScript's undefined);
// numbers hash by value, so 1, int64(1) and 1.0 are the same segment (keys
// survive a JSON round trip).
type Key []any

// M is the map segment of a Key.
type M = map[string]any

const maxKeyDepth = 64

// Hash returns the stable hash of k: a canonical JSON-like text, equal for
// equal keys under the rules of Key. It returns an error wrapping
// ErrInvalidKey when a segment is not supported.
func (k Key) Hash() (string, error) {
	var stack [128]byte
	b, err := appendKey(stack[:0], k)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// String returns the hash of k, or a description of why k is invalid.
func (k Key) String() string {
	h, err := k.Hash()
	if err != nil {
		return err.Error()
	}
	return h
}

// hashKeySegments returns the hash of k and the end offset in it of each
// segment's encoding: segment i is h[ends[i-1]+1 : ends[i]] with ends[-1]=0.
func hashKeySegments(k Key, ends []int) (string, []int, error) {
	var stack [128]byte
	b := append(stack[:0], '[')
	for i, seg := range k {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		b, err = appendValue(b, seg, 1)
		if err != nil {
			return "", nil, fmt.Errorf("%w: segment %d: %w", ErrInvalidKey, i, err)
		}
		ends = append(ends, len(b))
	}
	b = append(b, ']')
	return string(b), ends, nil
}

func appendKey(b []byte, k Key) ([]byte, error) {
	b = append(b, '[')
	for i, seg := range k {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		b, err = appendValue(b, seg, 1)
		if err != nil {
			return nil, fmt.Errorf("%w: segment %d: %w", ErrInvalidKey, i, err)
		}
	}
	return append(b, ']'), nil
}

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxKeyDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxKeyDepth)
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return strconv.AppendQuote(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case float32:
		return appendFloat(b, float64(v))
	case float64:
		return appendFloat(b, v)
	case map[string]any:
		return appendMap(b, v, depth)
	case []any:
		return appendList(b, v, depth)
	case Key:
		return appendList(b, v, depth)
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, s)
		}
		return append(b, ']'), nil
	default:
		return nil, fmt.Errorf("unsupported type %T", v)
	}
}

// appendFloat writes integral floats as integers, so that a number decoded
// from JSON (float64) hashes like the int it was encoded from.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("unsupported number %v", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		if f == 0 {
			return append(b, '0'), nil // also -0
		}
		return strconv.AppendInt(b, int64(f), 10), nil
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64), nil
}

func appendMap(b []byte, m map[string]any, depth int) ([]byte, error) {
	var stack [8]string
	names := stack[:0]
	for k, v := range m {
		if v != nil {
			names = append(names, k)
		}
	}
	// insertion sort: keys are few, and slices.Sort would move names to the heap
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, m[k], depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendList(b []byte, l []any, depth int) ([]byte, error) {
	b = append(b, '[')
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendValue(b, v, depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// MatchKey reports whether key matches the filter prefix as TanStack's
// partialMatchKey does: filter has at most as many segments as key, and
// each filter segment matches the key's segment at the same position. A
// scalar matches an equal scalar; a map matches a map holding at least its
// non-nil entries, each matching; a list matches a list at least as long
// whose first elements match. MatchKey{"todos"} thus matches every key that
// starts with "todos".
func MatchKey(key, filter Key) bool {
	if len(filter) > len(key) {
		return false
	}
	for i, f := range filter {
		if !matchValue(key[i], f, 1) {
			return false
		}
	}
	return true
}

func matchValue(v, f any, depth int) bool {
	if depth > maxKeyDepth {
		return false
	}
	switch f := f.(type) {
	case map[string]any:
		vm, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for k, fv := range f {
			if fv == nil {
				continue
			}
			if !matchValue(vm[k], fv, depth+1) {
				return false
			}
		}
		return true
	case []any:
		return matchList(v, f, depth)
	case Key:
		return matchList(v, []any(f), depth)
	case []string:
		l := make([]any, len(f))
		for i, s := range f {
			l[i] = s
		}
		return matchList(v, l, depth)
	default:
		return scalarEqual(v, f)
	}
}

func matchList(v any, f []any, depth int) bool {
	var vl []any
	switch v := v.(type) {
	case []any:
		vl = v
	case Key:
		vl = v
	case []string:
		vl = make([]any, len(v))
		for i, s := range v {
			vl[i] = s
		}
	default:
		return false
	}
	if len(f) > len(vl) {
		return false
	}
	for i := range f {
		if !matchValue(vl[i], f[i], depth+1) {
			return false
		}
	}
	return true
}

func scalarEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var sa, sb [40]byte
	ea, err := appendValue(sa[:0], a, maxKeyDepth)
	if err != nil {
		return false
	}
	eb, err := appendValue(sb[:0], b, maxKeyDepth)
	if err != nil {
		return false
	}
	return string(ea) == string(eb)
}

// isScalar reports whether a filter segment can be looked up by its
// encoding rather than matched partially.
func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any, Key, []string:
		return false
	}
	return true
}
