package cache

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// gcSweeper collects unobserved queries for a Client with one timer on the
// Clock, not one per query. The queries waiting for collection sit in one
// queue per GCTime, which is in deadline order since deadlines are "now +
// GCTime"; the timer is armed for the earliest head. Scheduling appends an
// entry and cancelling only marks the query, so neither writes a pointer
// besides the append (pointer writes are costly while the garbage
// collector marks, which in WASM is much of the time); stale entries are
// skipped when they come due and compacted away when they outnumber the
// live ones. Guarded by Client.mu.
type gcSweeper struct {
	queues []*gcQueue
	live   int         // queries scheduled
	total  int         // entries in the queues
	epoch  time.Time   // deadlines count from it, see deadline
	since  bool        // whether epoch is set
	stop   func() bool // the armed timer, nil when none
	at     int64       // when it fires
	gen    uint64      // tells the armed timer's callback from stale ones
}

// gcQueue is the entries with one GCTime, earliest deadline first, in
// chunks that fill and empty without copying.
type gcQueue struct {
	d          time.Duration
	head, tail *gcChunk
	hi         int // the first entry of head not yet taken
}

const gcChunkLen = 128

type gcChunk struct {
	entries [gcChunkLen]gcEntry
	n       int
	next    *gcChunk
}

// gcEntry schedules q for collection at at, if q is still scheduled for
// then.
type gcEntry struct {
	q  *query
	at int64
}

func (e *gcEntry) live() bool { return e.q.gcOn && e.q.gcAt == e.at }

// scheduleGC arms the query's removal after its GCTime if nothing observes
// it. The removal happens only if, when the time comes, the query still has
// no observers and no fetch (TanStack's Removable and optionalRemove).
func (q *query) scheduleGC() {
	q.clearGC()
	if len(q.obs) > 0 || q.gcTime < 0 || q.removed || q.c.closed {
		return
	}
	q.c.gc.add(q.c, q)
}

func (q *query) clearGC() {
	if q.gcOn {
		q.gcOn = false
		q.c.gc.live--
	}
}

// deadline returns t as nanoseconds since the sweeper's epoch (the first
// time it read); time.Time.Sub uses the monotonic clock when there is one.
func (s *gcSweeper) deadline(t time.Time) int64 {
	if !s.since {
		s.epoch, s.since = t, true
	}
	return int64(t.Sub(s.epoch))
}

func (s *gcSweeper) add(c *Client, q *query) {
	now := s.deadline(c.now())
	at := now + int64(q.gcTime)
	if at < now {
		at = math.MaxInt64 // overflow: never, in effect
	}
	var l *gcQueue
	for _, x := range s.queues {
		if x.d == q.gcTime {
			l = x
			break
		}
	}
	if l == nil {
		l = &gcQueue{d: q.gcTime}
		s.queues = append(s.queues, l)
	}
	q.gcOn, q.gcAt = true, at
	s.live++
	s.total++
	if t := l.tail; t != nil && t.n > 0 && t.entries[t.n-1].at > at {
		l.push(gcEntry{q: q, at: at})
		l.sort() // the clock went backwards
	} else {
		l.push(gcEntry{q: q, at: at})
	}
	if s.total > 2*s.live+64 {
		s.compact()
	}
	if s.stop == nil || at < s.at {
		s.arm(c, at, now)
	}
}

func (l *gcQueue) push(e gcEntry) {
	t := l.tail
	if t == nil || t.n == gcChunkLen {
		next := &gcChunk{}
		if t == nil {
			l.head, l.hi = next, 0
		} else {
			t.next = next
		}
		l.tail, t = next, next
	}
	t.entries[t.n] = e
	t.n++
}

// peek returns the first entry, nil when the queue is empty.
func (l *gcQueue) peek() *gcEntry {
	if h := l.head; h != nil && l.hi < h.n {
		return &h.entries[l.hi]
	}
	return nil
}

func (l *gcQueue) pop() {
	h := l.head
	h.entries[l.hi] = gcEntry{}
	l.hi++
	if l.hi == h.n && (h.n == gcChunkLen || h == l.tail) {
		l.head, l.hi = h.next, 0
		if l.head == nil {
			l.tail = nil
		}
	}
}

// drain returns the entries in order and empties l.
func (l *gcQueue) drain() []gcEntry {
	var all []gcEntry
	for h := l.head; h != nil; h = h.next {
		start := 0
		if h == l.head {
			start = l.hi
		}
		all = append(all, h.entries[start:h.n]...)
	}
	l.head, l.tail, l.hi = nil, nil, 0
	return all
}

// sort restores deadline order after a clock went backwards.
func (l *gcQueue) sort() {
	all := l.drain()
	slices.SortStableFunc(all, func(a, b gcEntry) int { return cmp.Compare(a.at, b.at) })
	for _, e := range all {
		l.push(e)
	}
}

// compact drops the entries of queries no longer scheduled.
func (s *gcSweeper) compact() {
	s.total = 0
	for _, l := range s.queues {
		for _, e := range l.drain() {
			if e.live() {
				l.push(e)
				s.total++
			}
		}
	}
}

func (s *gcSweeper) arm(c *Client, at, now int64) {
	s.stopTimer()
	s.gen++
	gen := s.gen
	s.at = at
	s.stop = c.clock.AfterFunc(time.Duration(max(at-now, 0)), func() { c.sweep(gen) })
}

func (s *gcSweeper) stopTimer() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
}

// sweep removes the queries whose deadline has come and that still have no
// observers and no fetch, then arms the timer for the next deadline.
func (c *Client) sweep(gen uint64) {
	c.lock()
	s := &c.gc
	if gen == s.gen {
		s.stop = nil
	}
	if !c.closed {
		now := s.deadline(c.now())
		next, found := int64(0), false
		queues := s.queues[:0]
		for _, l := range s.queues {
			for e := l.peek(); e != nil && e.at <= now; e = l.peek() {
				q, live := e.q, e.live()
				l.pop()
				s.total--
				if !live {
					continue
				}
				q.clearGC()
				if len(q.obs) == 0 && q.state.fetchStatus == FetchIdle {
					c.removeQuery(q)
				}
			}
			e := l.peek()
			if e == nil {
				continue // dropped; a later query with this GCTime makes a new queue
			}
			queues = append(queues, l)
			// the head may be stale; arming for it is merely early
			if !found || e.at < next {
				next, found = e.at, true
			}
		}
		clear(s.queues[len(queues):])
		s.queues = queues
		if found && (s.stop == nil || next < s.at) {
			s.arm(c, next, now)
		}
	}
	c.unlock()
}

// scheduleGC arms the mutation's removal after its GCTime once it has
// settled and nothing observes it.
func (m *mutation) scheduleGC() {
	m.clearGC()
	if len(m.obs) > 0 || m.gcTime < 0 || m.removed || m.c.closed || m.state.status == MutationPending {
		return
	}
	m.gcGen++
	gen := m.gcGen
	c := m.c
	m.gcStop = c.clock.AfterFunc(m.gcTime, func() {
		c.lock()
		if m.gcGen == gen && !m.removed {
			m.gcStop = nil
			if len(m.obs) == 0 && m.state.status != MutationPending {
				c.removeMutation(m)
			}
		}
		c.unlock()
	})
}

func (m *mutation) clearGC() {
	m.gcGen++
	if m.gcStop != nil {
		m.gcStop()
		m.gcStop = nil
	}
}
