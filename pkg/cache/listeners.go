package cache

import "sync/atomic"

// listenerSet is the subscribers of one observer: copy-on-write, so delivery
// reads it without the client lock. Changes happen under Client.mu.
type listenerSet struct {
	list   atomic.Pointer[[]*listener]
	queued bool // in Client.pending; guarded by Client.mu
}

type listener struct {
	f       func()
	removed atomic.Bool
}

func (s *listenerSet) add(f func()) (*listener, int) {
	l := &listener{f: f}
	var next []*listener
	if p := s.list.Load(); p != nil {
		next = append(make([]*listener, 0, len(*p)+1), *p...)
	}
	next = append(next, l)
	s.list.Store(&next)
	return l, len(next)
}

// remove drops l and returns how many listeners remain, or -1 when l was
// already gone.
func (s *listenerSet) remove(l *listener) int {
	p := s.list.Load()
	if p == nil || l.removed.Swap(true) {
		return -1
	}
	next := make([]*listener, 0, len(*p))
	for _, x := range *p {
		if x != l {
			next = append(next, x)
		}
	}
	s.list.Store(&next)
	return len(next)
}

func (s *listenerSet) len() int {
	if p := s.list.Load(); p != nil {
		return len(*p)
	}
	return 0
}

// deliver calls every current listener once, recovering panics into report.
func (s *listenerSet) deliver(report func(error)) {
	p := s.list.Load()
	if p == nil {
		return
	}
	for _, l := range *p {
		if !l.removed.Load() {
			callListener(l.f, report)
		}
	}
}

func callListener(f func(), report func(error)) {
	defer func() {
		if p := recover(); p != nil && report != nil {
			report(&PanicError{Value: p})
		}
	}()
	f()
}
