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
	b, err := (*keyEncoder)(nil).appendKey(stack[:0], k)
	if err != nil {
		return "", err
	}
	return string(append(b, ']')), nil
}

// String returns the hash of k, or a description of why k is invalid.
func (k Key) String() string {
	h, err := k.Hash()
	if err != nil {
		return err.Error()
	}
	return h
}

// keyEncoder writes keys in their canonical form (the text of Key.Hash). A
// Client keeps one, guarded by Client.mu, with a buffer it reuses and the
// name sets of recently seen map segments: ranging over a Go map is slow
// (each range draws random numbers, which in WASM costs about a
// microsecond), so a map whose entries are exactly a remembered set of
// names is encoded by looking those names up instead. A nil *keyEncoder
// encodes without either.
type keyEncoder struct {
	buf  []byte
	ends []int
	n    int        // the number of ends of the last encode
	h    uint64     // the index hash of buf, set by Client.lookup
	node *indexNode // the index node of buf, set by Client.lookup
	sets []nameSet  // most recently used first
}

// nameSet is the sorted names of a map segment, each pre-encoded as
// `"name":`, with a leading comma after the first.
type nameSet struct {
	names []string
	enc   []string
}

const (
	maxNameSets  = 8
	maxSetLength = 8
)

// encode writes k's canonical form without its closing bracket into the
// encoder's buffer and records the end offset of each segment in
// e.ends[:e.n]. The result is valid until the next call.
func (e *keyEncoder) encode(k Key) ([]byte, error) {
	b, ends := append(e.buf[:0], '['), e.ends[:0]
	for i, seg := range k {
		if i > 0 {
			b = append(b, ',')
		}
		// the common segments without a detour through appendValue
		if s, ok := seg.(string); ok {
			b = appendString(b, s)
		} else if n, ok := seg.(int); ok {
			b = appendInt(b, int64(n))
		} else {
			var ok bool
			var err error
			if m, isMap := seg.(map[string]any); isMap {
				b, ok, err = e.appendKnownMap(b, m, 1)
			}
			if !ok && err == nil {
				b, err = e.appendValue(b, seg, 1)
			}
			if err != nil {
				return nil, segmentError(i, err)
			}
		}
		ends = append(ends, len(b))
	}
	// store the slices only when they moved: each store of a pointer costs
	// a write barrier while the collector marks
	if cap(b) != cap(e.buf) {
		e.buf = b[:0]
	}
	if cap(ends) != cap(e.ends) {
		e.ends = ends[:0]
	}
	e.n = len(ends)
	return b, nil
}

// appendKey appends k's canonical form without its closing bracket to b.
func (e *keyEncoder) appendKey(b []byte, k Key) ([]byte, error) {
	b = append(b, '[')
	for i, seg := range k {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = e.appendValue(b, seg, 1); err != nil {
			return nil, segmentError(i, err)
		}
	}
	return b, nil
}

func segmentError(i int, err error) error {
	return fmt.Errorf("%w: segment %d: %w", ErrInvalidKey, i, err)
}

func (e *keyEncoder) appendValue(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxKeyDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxKeyDepth)
	}
	// the common segment types first: a type switch is a chain of branches
	if s, ok := v.(string); ok {
		return appendString(b, s), nil
	}
	if i, ok := v.(int); ok {
		return appendInt(b, int64(i)), nil
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case map[string]any:
		return e.appendMap(b, v, depth)
	case bool:
		return strconv.AppendBool(b, v), nil
	case int8:
		return appendInt(b, int64(v)), nil
	case int16:
		return appendInt(b, int64(v)), nil
	case int32:
		return appendInt(b, int64(v)), nil
	case int64:
		return appendInt(b, v), nil
	case uint:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint8:
		return appendInt(b, int64(v)), nil
	case uint16:
		return appendInt(b, int64(v)), nil
	case uint32:
		return appendInt(b, int64(v)), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case float32:
		return appendFloat(b, float64(v))
	case float64:
		return appendFloat(b, v)
	case []any:
		return e.appendList(b, v, depth)
	case Key:
		return e.appendList(b, v, depth)
	case []string:
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	default:
		return nil, fmt.Errorf("unsupported type %T", v)
	}
}

// appendString writes s as strconv.AppendQuote does, without its per-rune
// work for the usual printable ASCII.
func appendString(b []byte, s string) []byte {
	// one test per byte and no early exit: branches are dear in WASM
	var bad byte
	for i := 0; i < len(s); i++ {
		bad |= plain[s[i]] ^ 1
	}
	if bad&1 != 0 {
		return appendQuoted(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendQuoted is strconv.AppendQuote, kept out of appendString.
//
//go:noinline
func appendQuoted(b []byte, s string) []byte { return strconv.AppendQuote(b, s) }

// appendInt writes i in decimal as strconv.AppendInt does, without its
// support for other bases.
// plain marks with 1 the bytes strconv.AppendQuote copies as they are:
// printable ASCII except the quote and the backslash.
const plain = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x01\x01\x00\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" + // '"' is 0x22
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00\x01\x01\x01" + // '\\' is 0x5c
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x00" + // DEL is 0x7f
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

func appendInt(b []byte, i int64) []byte {
	if uint64(i) < 10 {
		return append(b, byte('0'+i))
	}
	const pairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
	var buf [20]byte
	u := uint64(i)
	if i < 0 {
		b = append(b, '-')
		u = -u
	}
	n := len(buf)
	for u >= 100 {
		r := u % 100 * 2
		u /= 100
		n -= 2
		buf[n], buf[n+1] = pairs[r], pairs[r+1]
	}
	if u >= 10 {
		n -= 2
		buf[n], buf[n+1] = pairs[u*2], pairs[u*2+1]
	} else {
		n--
		buf[n] = byte('0' + u)
	}
	return append(b, buf[n:]...)
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
		return appendInt(b, int64(f)), nil
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64), nil
}

// appendKnownMap appends m, at depth, if its names are exactly a
// remembered set, and reports whether it did; it moves the set to the
// front.
func (e *keyEncoder) appendKnownMap(b []byte, m map[string]any, depth int) ([]byte, bool, error) {
	n := len(m)
	if n == 0 || n > maxSetLength {
		return b, false, nil
	}
	mark := len(b)
	for i := range e.sets {
		if len(e.sets[i].names) != n {
			continue
		}
		// len(m) == n: if all n names are there, m is exactly this set
		names := e.sets[i].names
		b, ok, err := e.appendSet(b[:mark], m, i, depth)
		if err != nil {
			return nil, false, err
		}
		if ok {
			if i > 0 {
				e.toFront(names)
			}
			return b, true, nil
		}
	}
	return b[:mark], false, nil
}

// appendSet appends m as a map with the names of e.sets[i], or reports
// false when one of them is missing.
func (e *keyEncoder) appendSet(b []byte, m map[string]any, i, depth int) ([]byte, bool, error) {
	// locals: a nested map below may reorder e.sets
	names, enc := e.sets[i].names, e.sets[i].enc
	b = append(b, '{')
	for j, name := range names {
		b = append(b, enc[j]...)
		v := m[name]
		if s, ok := v.(string); ok {
			b = appendString(b, s)
		} else if n, ok := v.(int); ok {
			b = appendInt(b, int64(n))
		} else if v == nil { // absent, or nil and so absent for hashing
			return b, false, nil
		} else {
			var err error
			if b, err = e.appendValue(b, v, depth+1); err != nil {
				return nil, false, err
			}
		}
	}
	return append(b, '}'), true, nil
}

// toFront moves the set with names to the front.
//
//go:noinline
func (e *keyEncoder) toFront(names []string) {
	for i, s := range e.sets {
		if &s.names[0] == &names[0] {
			copy(e.sets[1:i+1], e.sets[:i])
			e.sets[0] = s
			return
		}
	}
}

func (e *keyEncoder) appendMap(b []byte, m map[string]any, depth int) ([]byte, error) {
	n := len(m)
	if n == 0 {
		return append(b, "{}"...), nil
	}
	if e != nil {
		b, ok, err := e.appendKnownMap(b, m, depth)
		if ok || err != nil {
			return b, err
		}
	}
	var stack [maxSetLength]string
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
	if e != nil && len(names) == n && n <= maxSetLength {
		e.remember(names)
	}
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = e.appendValue(b, m[k], depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// remember puts the sorted names of a map without nil entries at the front
// of the name sets, dropping the least recently used beyond maxNameSets.
func (e *keyEncoder) remember(names []string) {
	s := nameSet{names: append([]string(nil), names...), enc: make([]string, len(names))}
	for i, name := range names {
		var enc []byte
		if i > 0 {
			enc = append(enc, ',')
		}
		enc = appendString(enc, name)
		s.enc[i] = string(append(enc, ':'))
	}
	if len(e.sets) < maxNameSets {
		e.sets = append(e.sets, nameSet{})
	}
	copy(e.sets[1:], e.sets[:len(e.sets)-1])
	e.sets[0] = s
}

func (e *keyEncoder) appendList(b []byte, l []any, depth int) ([]byte, error) {
	b = append(b, '[')
	for i, v := range l {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = e.appendValue(b, v, depth+1); err != nil {
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
	ea, err := (*keyEncoder)(nil).appendValue(sa[:0], a, maxKeyDepth)
	if err != nil {
		return false
	}
	eb, err := (*keyEncoder)(nil).appendValue(sb[:0], b, maxKeyDepth)
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
