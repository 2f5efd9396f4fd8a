package server

import (
	"context"
	"sync"
	"time"
)

// A memBudget bounds the bytes of mutation bodies held at once: each
// mutation reserves the size of its body before reading it and gives it
// back once answered. One client address holds at most perAddr of it, so
// that a few slow uploads cannot take it all. Safe for concurrent use.
type memBudget struct {
	total, perAddr int64
	clock          Clock

	mu     sync.Mutex
	used   int64
	byAddr map[string]int64
	freed  chan struct{} // closed, and replaced, whenever bytes come back
}

func newMemBudget(total, perAddr int64, clock Clock) *memBudget {
	return &memBudget{total: total, perAddr: perAddr, clock: clock, byAddr: make(map[string]int64), freed: make(chan struct{})}
}

// acquire reserves n bytes for addr, waiting for them at most wait (on the
// Clock) or until ctx ends; it reports whether it got them.
func (b *memBudget) acquire(ctx context.Context, addr string, n int64, wait time.Duration) bool {
	var timeout chan struct{}
	for {
		b.mu.Lock()
		if b.used+n <= b.total && b.byAddr[addr]+n <= b.perAddr {
			b.used += n
			b.byAddr[addr] += n
			b.mu.Unlock()
			return true
		}
		freed := b.freed
		b.mu.Unlock()
		if timeout == nil {
			timeout = make(chan struct{})
			stop := b.clock.AfterFunc(wait, func() { close(timeout) })
			defer stop()
		}
		select {
		case <-freed:
		case <-timeout:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// release gives back what acquire reserved.
func (b *memBudget) release(addr string, n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.byAddr[addr] -= n; b.byAddr[addr] <= 0 {
		delete(b.byAddr, addr)
	}
	close(b.freed)
	b.freed = make(chan struct{})
}
