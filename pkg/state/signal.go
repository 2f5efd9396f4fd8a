package state

// A Signal is a writable value in a Graph. Reading it inside a computed or an
// effect makes that computed or effect depend on it; writing a different value
// notifies them. A Signal must be used on its graph's goroutine.
type Signal[T any] struct {
	n     node
	g     *Graph
	value T
	eq    equaler[T] // nil: every write is a change
}

// An equaler decides whether a write changes a signal. An interface rather
// than a func: a func literal inside generic NewSignal would capture its
// type dictionary and cost every signal an allocation, while both
// implementations below fit in the interface word.
type equaler[T any] interface{ equal(a, b T) bool }

type cmpEq[T comparable] struct{}

func (cmpEq[T]) equal(a, b T) bool { return a == b }

type funcEq[T any] func(a, b T) bool

func (f funcEq[T]) equal(a, b T) bool { return f(a, b) }

// NewSignal returns a signal holding v in g. Writes of a value == to the
// current one are ignored.
func NewSignal[T comparable](g *Graph, v T) *Signal[T] {
	s := &Signal[T]{g: g, value: v, eq: cmpEq[T]{}}
	s.n.flags = fSignal
	return s
}

// NewSignalFunc is NewSignal for values that are not comparable with ==, or
// that need another notion of equality: writes for which eq(current, new)
// reports true are ignored. A nil eq treats every write as a change.
func NewSignalFunc[T any](g *Graph, v T, eq func(a, b T) bool) *Signal[T] {
	s := &Signal[T]{g: g, value: v}
	if eq != nil {
		s.eq = funcEq[T](eq)
	}
	s.n.flags = fSignal
	return s
}

// Get returns the value and, inside a computed or effect, records the read.
func (s *Signal[T]) Get() T {
	// Small enough to inline: a read already recorded in this run, or
	// outside any run, costs no call.
	if s.n.trackRun != s.g.curRun {
		s.g.read(&s.n)
	}
	return s.value
}

// Peek returns the value without recording a read.
func (s *Signal[T]) Peek() T { return s.value }

// Set stores v. When v differs from the current value, dependents are marked
// and, outside a Batch, the effects that depend on it run before Set returns.
func (s *Signal[T]) Set(v T) {
	if s.eq != nil && s.eq.equal(s.value, v) {
		return
	}
	s.value = v
	s.g.changed(&s.n)
}

// Update sets the value to fn(current value).
func (s *Signal[T]) Update(fn func(T) T) { s.Set(fn(s.value)) }
