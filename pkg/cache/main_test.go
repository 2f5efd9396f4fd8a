package cache_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/cache/cachetest"
)

// TestMain fails on leaked goroutines; the js/wasm runtime's event handler
// goroutine is not a leak.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("runtime.handleEvent"))
}

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// env is a client on a fake clock with manual focus and network, inside a
// synctest bubble: settle waits until every goroutine of the bubble (query
// functions, mutation callbacks) is blocked or done.
type env struct {
	t      *testing.T
	clock  *cachetest.Clock
	focus  *cache.FocusManager
	online *cache.OnlineManager
	c      *cache.Client
}

// bubble runs f with a fresh env inside synctest.Test and closes the client
// at the end.
func bubble(t *testing.T, f func(t *testing.T, e *env), opts ...func(*cache.ClientOptions)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		e := &env{t: t, clock: cachetest.NewClock(epoch), focus: cache.NewFocusManager(nil), online: cache.NewOnlineManager()}
		o := cache.ClientOptions{Clock: e.clock, Focus: e.focus, Online: e.online}
		for _, f := range opts {
			f(&o)
		}
		e.c = cache.NewClient(o)
		f(t, e)
		e.c.Close()
		synctest.Wait()
	})
}

func (e *env) settle()                 { synctest.Wait() }
func (e *env) advance(d time.Duration) { e.clock.Advance(d); synctest.Wait() }
func (e *env) setOnline(on bool)       { e.online.SetOnline(on); synctest.Wait() }
func (e *env) setFocused(focused bool) { e.focus.SetFocused(focused); synctest.Wait() }
func (e *env) ctx() context.Context    { return e.t.Context() }
func key(segs ...any) cache.Key        { return cache.Key(segs) }

// reply is what a gated query function returns.
type reply[T any] struct {
	v   T
	err error
}

// gate is a query function that blocks until the test answers, counting
// calls and the calls that saw their context cancelled. With consume false
// it ignores its context (a function that does not support cancellation).
type gate[T any] struct {
	consume bool
	calls   atomic.Int32
	aborts  atomic.Int32
	ch      chan reply[T]
}

func newGate[T any](consume bool) *gate[T] {
	return &gate[T]{consume: consume, ch: make(chan reply[T])}
}

func (g *gate[T]) fn(ctx context.Context, _ cache.Key) (T, error) {
	g.calls.Add(1)
	var zero T
	if !g.consume {
		r := <-g.ch
		return r.v, r.err
	}
	select {
	case r := <-g.ch:
		return r.v, r.err
	case <-ctx.Done():
		g.aborts.Add(1)
		return zero, ctx.Err()
	}
}

// answer unblocks one call with v and waits for the cache to take it.
func (g *gate[T]) answer(v T) { g.ch <- reply[T]{v: v}; synctest.Wait() }

// fail unblocks one call with err.
func (g *gate[T]) fail(err error) { g.ch <- reply[T]{err: err}; synctest.Wait() }

// counter is a query function answering at once with the next int.
type counter struct {
	calls atomic.Int32
}

func (c *counter) fn(context.Context, cache.Key) (int, error) {
	return int(c.calls.Add(1)), nil
}

// recorder records the Result seen at each listener call.
type recorder[R any] struct {
	mu    sync.Mutex
	seen  []R
	unsub func()
}

type source[R any] interface {
	Result() R
	Subscribe(func()) func()
}

func record[R any](s source[R]) *recorder[R] {
	r := &recorder[R]{}
	r.unsub = s.Subscribe(func() {
		v := s.Result()
		r.mu.Lock()
		r.seen = append(r.seen, v)
		r.mu.Unlock()
	})
	return r
}

func (r *recorder[R]) all() []R {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]R(nil), r.seen...)
}

func (r *recorder[R]) count() int { return len(r.all()) }

func (r *recorder[R]) last() R {
	all := r.all()
	var zero R
	if len(all) == 0 {
		return zero
	}
	return all[len(all)-1]
}
