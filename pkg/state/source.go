package state

// A Source is a read-only signal whose value lives outside the graph: a query
// cache entry, a WebSocket connection state, a browser API. The graph reads it
// with read and learns of changes through subscribe, so the graph needs to
// know nothing about what feeds it.
//
// The Source subscribes when the first effect comes to depend on it (directly
// or through computeds) and unsubscribes when the last one goes, so an
// unobserved Source costs its producer nothing. While unobserved, every read
// calls read.
type Source[T any] struct {
	n           node
	g           *Graph
	read        func() T
	subscribe   func(onChange func()) (unsubscribe func())
	unsubscribe func()
	gen         uint64 // subscription generation; late notifications are ignored
	eq          func(a, b T) bool
	value       T
}

// FromSource returns a Source over read and subscribe, compared with ==.
//
// subscribe must arrange for onChange to be called after each change; it may
// call it from any goroutine: the Source hands the notification to the
// graph's goroutine through Graph.Schedule, then calls read there. read is
// always called on the graph's goroutine. A panic in read is reported to the
// graph's error handler and the previous value is kept.
func FromSource[T comparable](g *Graph, read func() T, subscribe func(onChange func()) (unsubscribe func())) *Source[T] {
	return FromSourceFunc(g, read, subscribe, func(a, b T) bool { return a == b })
}

// FromSourceFunc is FromSource with a custom equality; a nil eq treats every
// notification as a change.
func FromSourceFunc[T any](g *Graph, read func() T, subscribe func(onChange func()) (unsubscribe func()), eq func(a, b T) bool) *Source[T] {
	s := &Source[T]{g: g, read: read, subscribe: subscribe, eq: eq}
	s.n.flags = fSource
	s.n.impl = s
	s.n.update = s.poll
	return s
}

// Get returns the current value and, inside a computed or effect, records the
// read.
func (s *Source[T]) Get() T {
	if s.n.subs == nil {
		s.pollUnwatched()
	}
	if sub := s.g.activeSub; sub != nil && s.n.trackRun != sub.run && !reuse(&s.n, sub) {
		s.g.track(&s.n, sub)
	}
	return s.value
}

// Peek returns the current value without recording the read.
func (s *Source[T]) Peek() T {
	if s.n.subs == nil {
		s.pollUnwatched()
	}
	return s.value
}

// pollUnwatched reads an unwatched source's value, once per read from
// outside the graph (see Graph.beginRead): within one, it cannot have been
// told of a change anyway.
func (s *Source[T]) pollUnwatched() {
	g := s.g
	g.beginRead()
	if s.n.flags&fHasValue == 0 || !g.fresh(&s.n) {
		if s.poll() {
			s.n.version++
		}
		s.n.gver = g.gver
	}
}

// poll reads the external value and reports whether it changed.
func (s *Source[T]) poll() bool {
	if s.n.subs == nil {
		s.g.polled = true // see Graph.beginRead
	}
	v, err := s.call()
	if err != nil {
		s.g.report(err)
		return false
	}
	if s.n.flags&fHasValue != 0 && s.eq != nil && s.eq(s.value, v) {
		return false
	}
	s.value = v
	s.n.flags |= fHasValue
	return true
}

func (s *Source[T]) call() (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recovered(r)
		}
	}()
	return s.read(), nil
}

func (s *Source[T]) watched() {
	s.gen++
	gen := s.gen
	s.unsubscribe = s.subscribe(func() {
		s.g.Schedule(func() { s.notified(gen) })
	})
	// A change between the last read and the subscription would otherwise
	// go unnoticed.
	if s.poll() {
		s.n.version++
		s.g.gver++
		s.g.propagate(s.n.subs)
	}
}

func (s *Source[T]) unwatched() {
	s.gen++
	s.g.polled = true // it may change unseen from now on; see Graph.beginRead
	if u := s.unsubscribe; u != nil {
		s.unsubscribe = nil
		u()
	}
}

func (s *Source[T]) notified(gen uint64) {
	if gen == s.gen && s.poll() {
		s.g.changed(&s.n)
	}
}
