package cache_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

// trail records callback order across goroutines.
type trail struct {
	mu  sync.Mutex
	log []string
}

func (t *trail) add(format string, args ...any) {
	t.mu.Lock()
	t.log = append(t.log, fmt.Sprintf(format, args...))
	t.mu.Unlock()
}

func (t *trail) all() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.log...)
}

func TestQB52_onMutateRunsSynchronouslyAndSetsContext(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[string](true)
		ran := false
		m := cache.NewMutation(e.c, cache.MutationOptions[int, string]{
			Fn:       func(ctx context.Context, v int) (string, error) { return g.fn(ctx, nil) },
			OnMutate: func(v int) (any, error) { ran = true; return "ctx-" + fmt.Sprint(v), nil },
		})
		m.Mutate(1)
		assert.True(t, ran, "ran inside Mutate")
		r := m.Result()
		assert.Equal(t, "ctx-1", r.Context)
		assert.True(t, r.IsPending())
		assert.Equal(t, 1, r.Variables)
		e.settle()
		g.answer("ok")
		assert.Equal(t, "ctx-1", m.Result().Context, "carried through")
		assert.Equal(t, "ok", m.Result().Data)
	})
}

func TestQB53_contextReachesOnErrorForRollback(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		require.NoError(t, cache.SetQueryData(e.c, key("todos"), []string{"a"}))
		succeeded := false
		m := cache.NewMutation(e.c, cache.MutationOptions[string, string]{
			Fn: func(context.Context, string) (string, error) { return "", errors.New("rejected") },
			OnMutate: func(v string) (any, error) {
				prev, _ := cache.GetQueryData[[]string](e.c, key("todos"))
				return prev, cache.SetQueryData(e.c, key("todos"), append(append([]string(nil), prev...), v))
			},
			OnSuccess: func(string, string, any) error { succeeded = true; return nil },
			OnError: func(_ error, _ string, mctx any) error {
				return cache.SetQueryData(e.c, key("todos"), mctx.([]string))
			},
			OnSettled: func(_ string, err error, _ string, mctx any) error {
				assert.Equal(t, []string{"a"}, mctx)
				assert.EqualError(t, err, "rejected")
				return nil
			},
		})
		m.Mutate("b")
		optimistic, _ := cache.GetQueryData[[]string](e.c, key("todos"))
		assert.Equal(t, []string{"a", "b"}, optimistic)
		e.settle()
		back, _ := cache.GetQueryData[[]string](e.c, key("todos"))
		assert.Equal(t, []string{"a"}, back, "rolled back")
		assert.False(t, succeeded)
		assert.True(t, m.Result().IsError())
	})
}

func TestQB54_callbackOrderAndPendingDuringOnSettled(t *testing.T) {
	tr := &trail{}
	bubble(t, func(t *testing.T, e *env) {
		m := cache.NewMutation(e.c, cache.MutationOptions[int, int]{
			Key:       key("save"),
			Fn:        func(_ context.Context, v int) (int, error) { return v * 2, nil },
			OnSuccess: func(d, v int, _ any) error { tr.add("options onSuccess %d", d); return nil },
			OnSettled: func(d int, err error, v int, _ any) error {
				tr.add("options onSettled pending=%d", e.c.IsMutating(cache.MutationFilter{Key: key("save")}))
				return nil
			},
		})
		m.Mutate(2, cache.MutateCallbacks[int, int]{
			OnSuccess: func(d, v int, _ any) { tr.add("mutate onSuccess") },
			OnSettled: func(int, error, int, any) { tr.add("mutate onSettled") },
		})
		e.settle()
		assert.Equal(t, []string{
			"cache onSuccess", "options onSuccess 4", "cache onSettled", "options onSettled pending=1",
			"mutate onSuccess", "mutate onSettled",
		}, tr.all())
		assert.True(t, m.Result().IsSuccess())
		assert.Zero(t, e.c.IsMutating(cache.MutationFilter{}))
	}, func(o *cache.ClientOptions) {
		o.MutationCache = cache.MutationCallbacks{
			OnSuccess: func(_, _, _ any, _ cache.MutationInfo) error { tr.add("cache onSuccess"); return nil },
			OnSettled: func(_ any, _ error, _, _ any, _ cache.MutationInfo) error { tr.add("cache onSettled"); return nil },
		}
	})
}

func TestQB55_failingOnSuccessFailsTheMutation(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		tr := &trail{}
		m := cache.NewMutation(e.c, cache.MutationOptions[int, int]{
			Fn:        func(_ context.Context, v int) (int, error) { return v, nil },
			OnSuccess: func(int, int, any) error { return errors.New("bad success") },
			OnError:   func(err error, _ int, _ any) error { tr.add("onError %v", errors.Unwrap(err)); return nil },
			OnSettled: func(_ int, err error, _ int, _ any) error { tr.add("onSettled %v", err != nil); return nil },
		})
		_, err := m.Do(e.ctx(), 1)
		require.Error(t, err)
		assert.True(t, m.Result().IsError())
		assert.Equal(t, []string{"onError bad success", "onSettled true"}, tr.all())
	})
}

func TestQB56_mutateCallbacksFireOnlyForTheLatestCall(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		tr := &trail{}
		m := cache.NewMutation(e.c, cache.MutationOptions[int, int]{
			Fn:        func(ctx context.Context, v int) (int, error) { return g.fn(ctx, nil) },
			OnSuccess: func(d, v int, _ any) error { tr.add("options %d", v); return nil },
		})
		for i := 1; i <= 2; i++ {
			m.Mutate(i, cache.MutateCallbacks[int, int]{OnSuccess: func(_, v int, _ any) { tr.add("mutate %d", v) }})
		}
		e.settle()
		g.answer(10)
		g.answer(20)
		assert.ElementsMatch(t, []string{"options 1", "options 2", "mutate 2"}, tr.all())
	})
}

func TestQB57_sameScopeRunsSerially(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		g := newGate[int](true)
		fn := func(ctx context.Context, v int) (int, error) { return g.fn(ctx, nil) }
		a := cache.NewMutation(e.c, cache.MutationOptions[int, int]{Fn: fn, Scope: "s"})
		b := cache.NewMutation(e.c, cache.MutationOptions[int, int]{Fn: fn, Scope: "s"})
		free := cache.NewMutation(e.c, cache.MutationOptions[int, int]{Fn: fn})
		a.Mutate(1)
		b.Mutate(2)
		free.Mutate(3)
		e.settle()
		assert.EqualValues(t, 2, g.calls.Load(), "a and the unscoped one run in parallel")
		assert.True(t, b.Result().IsPending())
		assert.True(t, b.Result().IsPaused, "b waits for a")
		g.answer(1)
		g.answer(2)
		assert.EqualValues(t, 3, g.calls.Load(), "b runs once a settled")
		assert.False(t, b.Result().IsPaused)
		g.answer(3)
		assert.Zero(t, e.c.IsMutating(cache.MutationFilter{}))
	})
}

func TestQB58_offlineMutationsPauseAfterOnMutateAndResumeBeforeQueries(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		tr := &trail{}
		g := newGate[int](true)
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("q"), Fn: func(context.Context, cache.Key) (int, error) { tr.add("query refetch"); return 1, nil }})
		defer o.Subscribe(func() {})()
		e.settle()
		e.setOnline(false)
		mk := func(scope string) *cache.Mutation[int, int] {
			return cache.NewMutation(e.c, cache.MutationOptions[int, int]{
				Scope:    scope,
				Fn:       func(ctx context.Context, v int) (int, error) { tr.add("run %d", v); return g.fn(ctx, nil) },
				OnMutate: func(v int) (any, error) { tr.add("onMutate %d", v); return nil, nil },
			})
		}
		a, b, c := mk("s"), mk("s"), mk("")
		a.Mutate(1)
		b.Mutate(2)
		c.Mutate(3)
		e.settle()
		assert.Equal(t, []string{"onMutate 1", "onMutate 2", "onMutate 3"}, tr.all()[1:], "onMutate runs even offline")
		assert.True(t, a.Result().IsPaused)
		assert.True(t, c.Result().IsPaused)
		e.setOnline(true)
		assert.ElementsMatch(t, []string{"run 1", "run 3"}, tr.all()[4:], "parallel across scopes, serial within")
		g.answer(1)
		g.answer(3)
		assert.Equal(t, "run 2", tr.all()[6])
		g.answer(2)
		assert.Equal(t, "query refetch", tr.all()[7], "queries refetch only after the mutations settled")
	})
}

func TestQB59_resumeOfflineIsNoopRestoredUsesDefaultsSettledNeverRerun(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		var runs []string
		var mu sync.Mutex
		require.NoError(t, cache.SetMutationDefaults(e.c, key("add"), cache.MutationOptions[string, string]{
			Fn: func(_ context.Context, v string) (string, error) {
				mu.Lock()
				runs = append(runs, v)
				mu.Unlock()
				return v, nil
			},
		}))
		state := cache.DehydratedState{Mutations: []cache.DehydratedMutation{{Key: key("add"), Variables: []byte(`"restored"`), IsPaused: true}}}
		e.setOnline(false)
		require.NoError(t, cache.Hydrate(e.c, state))
		require.NoError(t, e.c.ResumePausedMutations().Wait(e.ctx()))
		e.settle()
		assert.Empty(t, runs, "offline: nothing")
		e.setOnline(true)
		e.settle()
		assert.Equal(t, []string{"restored"}, runs, "re-executed with the defaults' function")
		require.NoError(t, e.c.ResumePausedMutations().Wait(e.ctx()))
		e.settle()
		assert.Equal(t, []string{"restored"}, runs, "a settled mutation is never re-executed")
		assert.Equal(t, cache.MutationSuccess, e.c.FindMutations(cache.MutationFilter{})[0].Status)
	})
}

func TestMutation_invalidatesWhenTheLastOverlappingMutationSettles(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		c := &counter{}
		o := cache.NewObserver(e.c, cache.QueryOptions[int]{Key: key("todos"), Fn: c.fn, StaleTime: cache.Never})
		defer o.Subscribe(func() {})()
		e.settle()
		g := newGate[int](true)
		fn := func(ctx context.Context, v int) (int, error) { return g.fn(ctx, nil) }
		a := cache.NewMutation(e.c, cache.MutationOptions[int, int]{Fn: fn, Invalidates: []cache.Key{key("todos")}})
		b := cache.NewMutation(e.c, cache.MutationOptions[int, int]{Fn: fn, Invalidates: []cache.Key{key("todos", 1)}})
		a.Mutate(1)
		b.Mutate(2)
		e.settle()
		g.answer(1)
		assert.EqualValues(t, 1, c.calls.Load(), "another mutation on the key is pending: no refetch yet")
		g.answer(2)
		assert.EqualValues(t, 2, c.calls.Load(), "the last one invalidates once")
	})
}

func TestMutation_panicsAndMissingFunctionAreErrors(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		p := cache.NewMutation(e.c, cache.MutationOptions[int, int]{Fn: func(context.Context, int) (int, error) { panic("x") }})
		_, err := p.Do(e.ctx(), 1)
		var pe *cache.PanicError
		assert.ErrorAs(t, err, &pe)
		none := cache.NewMutation(e.c, cache.MutationOptions[int, int]{})
		_, err = none.Do(e.ctx(), 1)
		assert.ErrorIs(t, err, cache.ErrNoMutationFn)
		om := cache.NewMutation(e.c, cache.MutationOptions[int, int]{OnMutate: func(int) (any, error) { return nil, errors.New("no") }, Fn: func(context.Context, int) (int, error) { return 1, nil }})
		_, err = om.Do(e.ctx(), 1)
		assert.EqualError(t, err, "no")
	})
}
