package cache

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// retryer runs one fetch or mutation: attempts on their own goroutines, the
// retry policy between them, pauses while the network or focus forbids
// running, and cancellation. TanStack's Retryer, as a state machine guarded
// by Client.mu; the callbacks run with the lock held.
type retryer struct {
	c          *Client
	run        func(fc *fetchContext) (any, error)
	newCtx     func() *fetchContext
	retry      RetryFunc
	delay      RetryDelayFunc
	mode       NetworkMode
	timeout    time.Duration
	canRun     func() bool // nil: always
	onFail     func(failures int, err error)
	onPause    func()
	onContinue func()
	onSuccess  func(v any, fc *fetchContext)
	onError    func(err error)
	onCancel   func(ce *CancelledError)
	revert     queryState // a query's state before the fetch, restored on a reverting cancel
	shared     fetchShared

	st             retryState
	failureCount   int
	attempt        int
	cur            *fetchContext
	retryCancelled bool
	lastErr        error
	stopTimer      func() bool

	// outcome, for waiters: set once by finish; next is the retryer that took
	// over after a silent cancellation.
	done  chan struct{}
	value any
	err   error
	next  *retryer
}

type retryState uint8

const (
	rsIdle retryState = iota
	rsRunning
	rsWaiting // between attempts
	rsPaused
	rsDone
)

// notModified is the value of an attempt that returned ErrNotModified.
type notModified struct{}

func (r *retryer) init(c *Client) {
	r.c = c
	r.done = make(chan struct{})
	if r.retry == nil {
		r.retry = NoRetry
	}
	if r.delay == nil {
		r.delay = DefaultRetryDelay
	}
}

func (r *retryer) canStart() bool {
	return r.c.canFetch(r.mode) && (r.canRun == nil || r.canRun())
}

func (r *retryer) canContinue() bool {
	return r.c.isFocused() && (r.mode == NetworkAlways || r.c.isOnline()) && (r.canRun == nil || r.canRun())
}

func (r *retryer) start() {
	if r.c.closed {
		r.st = rsDone
		r.onError(ErrClosed)
		return
	}
	if r.canStart() {
		r.runAttempt()
	} else {
		r.pause()
	}
}

func (r *retryer) finish(v any, err error) {
	select {
	case <-r.done:
		return
	default:
	}
	r.value, r.err = v, err
	close(r.done)
}

func (r *retryer) runAttempt() {
	r.st = rsRunning
	r.attempt++
	id := r.attempt
	fc := r.newCtx()
	r.cur = fc
	c := r.c
	if r.timeout > 0 {
		timeout := r.timeout
		r.stopTimer = c.clock.AfterFunc(timeout, func() {
			c.lock()
			if r.st == rsRunning && r.attempt == id {
				fc.cancel(context.DeadlineExceeded)
				r.attemptDone(id, nil, fmt.Errorf("%w after %v", ErrTimeout, timeout))
			}
			c.unlock()
		})
	}
	run := r.run
	go func() {
		v, err := safeCall(run, fc)
		c.lock()
		r.attemptDone(id, v, err)
		c.unlock()
	}()
}

func safeCall(run func(*fetchContext) (any, error), fc *fetchContext) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, &PanicError{Value: p}
		}
	}()
	return run(fc)
}

func (r *retryer) stopTimers() {
	if r.stopTimer != nil {
		r.stopTimer()
		r.stopTimer = nil
	}
}

func (r *retryer) attemptDone(id int, v any, err error) {
	if r.st != rsRunning || id != r.attempt {
		return
	}
	r.stopTimers()
	if err == nil || errors.Is(err, ErrNotModified) {
		if err != nil {
			v = notModified{}
		}
		r.st = rsDone
		r.onSuccess(v, r.cur)
		return
	}
	shouldRetry := !r.retryCancelled && !r.c.closed && r.retry(r.failureCount, err)
	if !shouldRetry {
		r.st = rsDone
		r.onError(err)
		return
	}
	delay := r.delay(r.failureCount, err)
	r.failureCount++
	r.onFail(r.failureCount, err)
	r.lastErr = err
	r.st = rsWaiting
	c := r.c
	r.stopTimer = c.clock.AfterFunc(delay, func() {
		c.lock()
		if r.st == rsWaiting && r.attempt == id {
			r.stopTimer = nil
			if r.canContinue() {
				r.resume()
			} else {
				r.pause()
			}
		}
		c.unlock()
	})
}

func (r *retryer) pause() {
	r.st = rsPaused
	if r.onPause != nil {
		r.onPause()
	}
}

// resume runs the next attempt after a delay or a pause, unless retries
// were cancelled meanwhile.
func (r *retryer) resume() {
	if r.attempt > 0 && r.retryCancelled {
		r.st = rsDone
		r.onError(r.lastErr)
		return
	}
	r.runAttempt()
}

// continueRun resumes a paused retryer if it may run now (TanStack's
// continue).
func (r *retryer) continueRun() {
	if r.st == rsPaused && r.canContinue() {
		if r.onContinue != nil {
			r.onContinue()
		}
		r.resume()
	}
}

func (r *retryer) cancel(ce *CancelledError) {
	if r.st == rsDone {
		return
	}
	r.stopTimers()
	r.st = rsDone
	if r.cur != nil {
		r.cur.cancel(context.Canceled)
	}
	r.onCancel(ce)
}

// FullJitter returns the delay before retry n (from 0): uniformly random in
// [0, min(cap, base·2^n)], with rnd returning uniform values in [0, 1). The
// store's mutation retries and pkg/sync's reconnects use it.
func FullJitter(rnd func() float64, base, cap time.Duration, n int) time.Duration {
	limit := cap
	if n < 62 && base > 0 && base <= cap>>n {
		limit = base << n
	}
	return time.Duration(rnd() * float64(limit+1))
}
