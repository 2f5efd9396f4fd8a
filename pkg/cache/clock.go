package cache

import "time"

// A Clock tells the time and runs functions later. The cache reads time and
// sets timers only through its Clock; SystemClock is the only code in the
// package that touches the time package's clock, and cachetest.Clock is a
// fake for tests. It is the Clock of every client package: pkg/store and
// pkg/sync take a cache.Clock too.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once, on a goroutine of the clock's choosing, after
	// at least d. stop cancels the call and reports whether it did so.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// SystemClock returns the Clock of the time package: time.Now and
// time.AfterFunc. (In the browser, Now reads the wall clock at most once a
// second and derives it from the monotonic clock in between; see
// clock_js.go.)
func SystemClock() Clock { return new(systemClock) }

func (*systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// A Scheduler runs a function that delivers notifications. The cache calls it
// once per flush, never while holding its lock; it must call each function
// it is given exactly once. In go-app it is
// ctx.Dispatch, so listeners run on the UI goroutine; the default runs the
// function at once on the goroutine that ended the batch.
type Scheduler func(deliver func())

func inlineScheduler(f func()) { f() }
