package cache

// listenerSet is the subscribers of one observer: copy-on-write, so delivery
// reads it without the client lock. Changes happen under Client.mu.
type listenerSet struct {
	list listPtr
	// queued is the Client.flushes count when the set was queued in
	// Client.pending: it is queued while that count has not moved on, so a
	// flush unqueues every set at once. Guarded by Client.mu.
	queued uint64
}

type listener struct {
	f       func()
	removed flag
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

// delivery is one flush's notifications, handed to the Scheduler as its
// run method, which is bound once: a flush allocates nothing once a
// delivery is recycled (Client.spare). Its fields are owned by the flush
// that filled it until run returns.
type delivery struct {
	c         *Client
	armed     flag // set by the flush, cleared by run: a second call of run does nothing
	events    []Event
	listeners []*cacheListener // the cache listeners when the flush began
	sets      []*listenerSet
	run       func()
}

// cursor is how far a delivery got: event e for cache listener l, then
// set s (whose listeners ls were loaded when it began) at listener k.
type cursor struct {
	e, l, s, k int
	ls         []*listener
}

// deliver calls each cache listener for each event, in order, then every
// current listener of each queued set once. A panicking listener is
// reported and the rest still run.
func (d *delivery) deliver() {
	if !d.armed.CompareAndSwap(true, false) {
		return // a Scheduler called run twice
	}
	var at cursor
	for !d.deliverFrom(&at) {
	}
	clear(d.events)
	clear(d.sets)
	d.events, d.sets, d.listeners = d.events[:0], d.sets[:0], nil
	d.c.spare.Store(d)
}

// deliverFrom runs the listeners from at on under one recover, which is
// cheaper than one per listener; it reports false after a panic, with at
// past the listener that panicked.
func (d *delivery) deliverFrom(at *cursor) (done bool) {
	e, l, s, k, ls := at.e, at.l, at.s, at.k, at.ls
	defer func() {
		if !done {
			*at = cursor{e: e, l: l, s: s, k: k, ls: ls}
			if p := recover(); p != nil && d.c.report != nil {
				d.c.report(&PanicError{Value: p})
			}
		}
	}()
	for ; e < len(d.events); e, l = e+1, 0 {
		for l < len(d.listeners) {
			x := d.listeners[l]
			l++
			if !x.removed.Load() {
				x.f(d.events[e])
			}
		}
	}
	for ; s < len(d.sets); s, k = s+1, 0 {
		if k == 0 {
			ls = nil
			if p := d.sets[s].list.Load(); p != nil {
				ls = *p
			}
		}
		for k < len(ls) {
			x := ls[k]
			k++
			if !x.removed.Load() {
				x.f()
			}
		}
	}
	return true
}

func callListener(f func(), report func(error)) {
	defer func() {
		if p := recover(); p != nil && report != nil {
			report(&PanicError{Value: p})
		}
	}()
	f()
}
