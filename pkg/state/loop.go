package state

import (
	"context"
	"sync"
)

// A Loop is a scheduler for native programs: it runs the functions handed to
// it, from any goroutine, one at a time on the goroutine that calls Run. Give
// its Dispatch to WithScheduler and call every graph method from functions
// run by the loop. The zero Loop is ready to use.
type Loop struct {
	mu    sync.Mutex
	queue []func() // guarded by mu
	wake  chan struct{}
	once  sync.Once
}

func (l *Loop) init() { l.once.Do(func() { l.wake = make(chan struct{}, 1) }) }

// Dispatch queues fn to run on the loop's goroutine, in call order. It never
// blocks, and may be called from the loop's goroutine itself.
func (l *Loop) Dispatch(fn func()) {
	l.init()
	l.mu.Lock()
	l.queue = append(l.queue, fn)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Run runs dispatched functions until ctx is done, then returns ctx's error.
// Functions still queued then are not run.
func (l *Loop) Run(ctx context.Context) error {
	l.init()
	for {
		l.mu.Lock()
		q := l.queue
		l.queue = nil
		l.mu.Unlock()
		for i, fn := range q {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			q[i] = nil
			fn()
		}
		if len(q) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.wake:
		}
	}
}
