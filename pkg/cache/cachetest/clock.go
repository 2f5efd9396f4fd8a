// Package cachetest holds test doubles for pkg/cache and the packages built on
// it: a fake Clock that fires timers only when told to, and a Scheduler that
// queues deliveries until drained.
package cachetest

import (
	"sort"
	"sync"
	"time"
)

// Clock is a fake cache.Clock. Time stands still until Advance or Set moves
// it; due timers then fire, in due order, on the goroutine that moved it.
// A Clock is safe for concurrent use. The zero value is not usable; call
// NewClock.
type Clock struct {
	mu     sync.Mutex // guards the fields below
	now    time.Time
	seq    uint64
	timers []*timer // may hold stopped timers, counted by dead
	dead   int
}

type timer struct {
	due     time.Time
	seq     uint64
	f       func()
	stopped bool
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d. A d of zero or less is due at once but
// still fires only on the next Advance or Set, as a real timer fires on a
// later tick. stop removes the timer and reports whether it had not fired.
func (c *Clock) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		d = 0
	}
	c.seq++
	t := &timer{due: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.stopped {
			return false
		}
		t.stopped = true
		c.dead++
		if c.dead > 64 && c.dead > len(c.timers)/2 {
			c.compact()
		}
		return true
	}
}

// compact drops stopped timers; stop marks them so that it stays O(1).
func (c *Clock) compact() {
	live := c.timers[:0]
	for _, t := range c.timers {
		if !t.stopped {
			live = append(live, t)
		}
	}
	clear(c.timers[len(live):])
	c.timers = live
	c.dead = 0
}

// Advance moves the clock forward by d, firing every timer that falls due on
// the way (including timers those timers set), each with Now reading its due
// time. Advance(0) fires the timers already due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	c.Set(target)
}

// Set moves the clock to t (never backwards), firing due timers as Advance.
func (c *Clock) Set(t time.Time) {
	for {
		c.mu.Lock()
		if t.Before(c.now) {
			t = c.now
		}
		next := c.nextDue(t)
		if next == nil {
			c.now = t
			c.mu.Unlock()
			return
		}
		next.stopped = true
		c.dead++
		if next.due.After(c.now) {
			c.now = next.due
		}
		c.mu.Unlock()
		next.f()
	}
}

func (c *Clock) nextDue(limit time.Time) *timer {
	var best *timer
	for _, t := range c.timers {
		if t.stopped || t.due.After(limit) {
			continue
		}
		if best == nil || t.due.Before(best.due) || (t.due.Equal(best.due) && t.seq < best.seq) {
			best = t
		}
	}
	return best
}

// Pending returns the delays from now of the timers not yet fired, shortest
// first.
func (c *Clock) Pending() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Duration, 0, len(c.timers))
	for _, t := range c.timers {
		if t.stopped {
			continue
		}
		out = append(out, t.due.Sub(c.now))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Scheduler is a fake cache.Scheduler that queues deliveries until Drain,
// like a UI event loop. It is safe for concurrent use.
type Scheduler struct {
	mu    sync.Mutex
	queue []func()
}

// Schedule queues f; pass s.Schedule as the cache's Scheduler.
func (s *Scheduler) Schedule(f func()) {
	s.mu.Lock()
	s.queue = append(s.queue, f)
	s.mu.Unlock()
}

// Len returns the number of queued deliveries.
func (s *Scheduler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Drain runs queued deliveries, including ones queued meanwhile, until the
// queue is empty, and returns how many ran.
func (s *Scheduler) Drain() int {
	n := 0
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.mu.Unlock()
			return n
		}
		f := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		f()
		n++
	}
}
