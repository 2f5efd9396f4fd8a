package cache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

func TestQB32_retriesPauseWhileHiddenOrOfflineAndResume(t *testing.T) {
	for _, tc := range []struct {
		name         string
		lose, regain func(e *env)
	}{
		{"focus", func(e *env) { e.setFocused(false) }, func(e *env) { e.setFocused(true) }},
		{"network", func(e *env) { e.setOnline(false) }, func(e *env) { e.setOnline(true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T, e *env) {
				g := newGate[int](true)
				opts := cache.QueryOptions[int]{Key: key("q"), Fn: g.fn, Retry: cache.RetryCount(1), RetryDelay: func(int, error) time.Duration { return time.Millisecond }}
				w1 := cache.Prefetch(e.c, opts)
				w2 := cache.Prefetch(e.c, opts)
				e.settle()
				tc.lose(e)
				g.fail(errors.New("flaky"))
				e.advance(time.Second)
				st, _ := e.c.QueryState(key("q"))
				assert.Equal(t, cache.FetchPaused, st.FetchStatus)
				assert.EqualValues(t, 1, g.calls.Load())
				tc.regain(e)
				g.answer(9)
				require.NoError(t, w1.Wait(e.ctx()))
				require.NoError(t, w2.Wait(e.ctx()))
				v, _ := cache.GetQueryData[int](e.c, key("q"))
				assert.Equal(t, 9, v, "the original callers get the retried result")
			})
		})
	}
}

func TestQB33_retryDefaults(t *testing.T) {
	assert.Equal(t, time.Second, cache.DefaultRetryDelay(0, nil))
	assert.Equal(t, 2*time.Second, cache.DefaultRetryDelay(1, nil))
	assert.Equal(t, 16*time.Second, cache.DefaultRetryDelay(4, nil))
	assert.Equal(t, 30*time.Second, cache.DefaultRetryDelay(5, nil))
	assert.Equal(t, 30*time.Second, cache.DefaultRetryDelay(100, nil))

	failing := func(calls *int) func(context.Context, cache.Key) (int, error) {
		return func(context.Context, cache.Key) (int, error) { *calls++; return 0, errors.New("no") }
	}
	t.Run("observers retry 3 times with back-off", func(t *testing.T) {
		bubble(t, func(t *testing.T, e *env) {
			calls := 0
			o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: failing(&calls)})
			defer o.Subscribe(func() {})()
			e.settle()
			assert.Equal(t, 1, calls)
			e.advance(999 * time.Millisecond)
			assert.Equal(t, 1, calls)
			e.advance(time.Millisecond)
			assert.Equal(t, 2, calls)
			e.advance(2 * time.Second)
			e.advance(4 * time.Second)
			assert.Equal(t, 4, calls)
			assert.True(t, o.Result().IsError())
			assert.Equal(t, 4, o.Result().FailureCount)
		})
	})
	t.Run("server clients do not retry", func(t *testing.T) {
		bubble(t, func(t *testing.T, e *env) {
			calls := 0
			o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: failing(&calls)})
			defer o.Subscribe(func() {})()
			e.advance(time.Minute)
			assert.Equal(t, 1, calls)
		}, func(o *cache.ClientOptions) { o.Server = true })
	})
	t.Run("Fetch does not retry", func(t *testing.T) {
		bubble(t, func(t *testing.T, e *env) {
			calls := 0
			_, err := cache.Fetch(e.ctx(), e.c, cache.QueryOptions[int]{Key: key("q"), Fn: failing(&calls)})
			assert.Error(t, err)
			assert.Equal(t, 1, calls)
		})
	})
	t.Run("mutations do not retry", func(t *testing.T) {
		bubble(t, func(t *testing.T, e *env) {
			calls := 0
			m := cache.NewMutation(e.c, cache.MutationOptions[int, int]{Fn: func(context.Context, int) (int, error) { calls++; return 0, errors.New("no") }})
			_, err := m.Do(e.ctx(), 1)
			assert.Error(t, err)
			e.advance(time.Minute)
			assert.Equal(t, 1, calls)
		})
	})
}

func TestQB34_offlineFetchPausesUnlessNetworkAlways(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		e.setOnline(false)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: c.fn})
		defer o.Subscribe(func() {})()
		e.settle()
		r := o.Result()
		assert.Equal(t, cache.FetchPaused, r.FetchStatus)
		assert.Equal(t, cache.StatusPending, r.Status)
		assert.Zero(t, c.calls.Load())

		ca := &counter{}
		a := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("always"), Fn: ca.fn, NetworkMode: cache.NetworkAlways})
		defer a.Subscribe(func() {})()
		e.settle()
		assert.EqualValues(t, 1, ca.calls.Load())
		assert.True(t, a.Result().IsSuccess())

		e.setOnline(true)
		assert.Equal(t, 1, o.Result().Data, "resumed on reconnect")
	})
}

func TestQB35_focusAndOnlineManagers(t *testing.T) {
	hidden := false
	fm := cache.NewFocusManager(func() bool { return !hidden })
	calls := 0
	unsub := fm.Subscribe(func() { calls++ })
	assert.True(t, fm.Focused())
	hidden = true
	assert.False(t, fm.Focused(), "follows the probe")
	fm.SetFocused(true)
	assert.True(t, fm.Focused(), "the override wins")
	assert.Equal(t, 1, calls)
	fm.ClearOverride()
	assert.False(t, fm.Focused())
	unsub()
	fm.SetFocused(true)
	assert.Equal(t, 2, calls)

	om := cache.NewOnlineManager()
	assert.True(t, om.Online(), "online by default")
	n := 0
	defer om.Subscribe(func() { n++ })()
	om.SetOnline(true)
	assert.Zero(t, n, "no change, no notification")
	om.SetOnline(false)
	assert.False(t, om.Online())
	assert.Equal(t, 1, n)
}

func TestFullJitterNeverOverflows(t *testing.T) {
	for n := range 100 {
		d := cache.FullJitter(func() float64 { return 0.999999 }, 20*time.Second, time.Hour, n)
		require.GreaterOrEqual(t, d, time.Duration(0))
		require.LessOrEqual(t, d, time.Hour)
	}
	assert.Equal(t, time.Duration(0), cache.FullJitter(func() float64 { return 0 }, time.Second, time.Minute, 3))
}
