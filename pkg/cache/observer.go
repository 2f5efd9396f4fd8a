package cache

import "context"

// observerBase holds what Observer and SelectObserver share.
type observerBase struct {
	c   *Client
	o   *observer // nil when the key was invalid
	err error     // why o is nil
}

// Subscribe registers listener, called (through the Scheduler, with no lock
// held) whenever the observer's Result changes in a part it watches (see
// QueryOptions.NotifyOnChange), at most once per flush. The first
// subscription activates the observer, as mounting does in TanStack: it
// attaches to the query, fetches if the data is missing or stale (per
// RefetchOnMount), and starts the stale and polling timers. The returned
// function unsubscribes; when the last listener leaves, the observer
// detaches and the query becomes collectable. Calling it twice is harmless.
//
// Subscribe and Result form the seam to the signal graph: pkg/store turns an
// observer into a state signal with state.FromSource(g, o.Result,
// o.Subscribe).
func (b *observerBase) Subscribe(listener func()) (unsubscribe func()) {
	if b.o == nil {
		return func() {}
	}
	return b.o.subscribe(listener)
}

// Refetch fetches the query now, even if disabled, cancelling a fetch in
// flight that already has data (TanStack's refetch, cancelRefetch true).
// The Waiter waits for the fetch.
func (b *observerBase) Refetch() *Waiter {
	w := &Waiter{c: b.c}
	if b.o == nil {
		return w
	}
	b.c.lock()
	w.rs = append(w.rs, b.o.fetch(fetchOptions{cancelRefetch: true}))
	b.c.unlock()
	return w
}

// Key returns the key the observer follows.
func (b *observerBase) Key() Key {
	if b.o == nil {
		return nil
	}
	b.c.lock()
	defer b.c.unlock()
	return b.o.cfg.key
}

// Observer follows one query and shows it as a Result: TanStack's
// QueryObserver (useQuery without React). Create it with NewObserver; it is
// inactive until subscribed. An Observer is safe for concurrent use.
type Observer[T any] struct {
	observerBase
	tc typedCache[T] // guarded by Client.mu
}

type typedCache[T any] struct {
	ok bool
	id uint64
	v  T
}

// NewObserver returns an observer of the query opts describes. An invalid
// key does not panic: the observer's Result reports the error and it never
// fetches.
func NewObserver[T any](c *Client, opts QueryOptions[T]) *Observer[T] {
	ob := &Observer[T]{observerBase: observerBase{c: c}}
	if _, err := opts.Key.Hash(); err != nil {
		ob.err = err
		return ob
	}
	c.lock()
	ob.o = c.newObserver(c.resolve(queryConfig(&opts)))
	c.unlock()
	return ob
}

// Result returns the current result. It is safe to call from any goroutine,
// also inside a listener. Unsubscribed, it shows what subscribing would show
// (a pending fetch when one would start).
func (ob *Observer[T]) Result() Result[T] {
	if ob.o == nil {
		return Result[T]{Status: StatusError, FetchStatus: FetchIdle, Error: ob.err}
	}
	ob.c.lock()
	defer ob.c.unlock()
	return convertResult(ob.o, ob.o.result(), &ob.tc)
}

// SetOptions replaces the observer's options, switching query when the key
// changed (dependent and paginated queries): the observer fetches when the
// new query is stale or when it became enabled. An invalid key is refused
// with an error and the old options stay.
func (ob *Observer[T]) SetOptions(opts QueryOptions[T]) error {
	if _, err := opts.Key.Hash(); err != nil {
		return err
	}
	ob.c.lock()
	defer ob.c.unlock()
	cfg := ob.c.resolve(queryConfig(&opts))
	if ob.o == nil {
		ob.o, ob.err = ob.c.newObserver(cfg), nil
		return nil
	}
	ob.o.setConfig(cfg)
	return nil
}

// Fetch refetches and waits for the fetch, then returns the Result.
func (ob *Observer[T]) Fetch(ctx context.Context) (Result[T], error) {
	err := ob.Refetch().Wait(ctx)
	return ob.Result(), err
}

func convertResult[T any](o *observer, r *result, tc *typedCache[T]) Result[T] {
	var data T
	if r.hasData {
		if tc.ok && tc.id == r.dataID {
			data = tc.v
		} else {
			v, err := as[T](r.data)
			if err != nil {
				out := toResult(r, data, false)
				out.Status, out.Error = StatusError, err
				return out
			}
			if o.q.state.dataID == r.dataID {
				settle(o.q, v)
			}
			tc.ok, tc.id, tc.v, data = true, r.dataID, v, v
		}
	}
	return toResult(r, data, r.hasData)
}

// SelectObserver is an Observer whose Result shows select(data) instead of
// the query's data (TanStack's select). select runs only when the query's
// data version changes or SetOptions gives a new select (QB-39), and an
// output equal to the previous one keeps the previous value and version. A
// select error makes the Result an error while keeping the last good output
// (QB-40). select runs with the client locked and must not call the Client.
type SelectObserver[T, S any] struct {
	observerBase
	tc typedCache[S]
}

// NewSelectObserver returns an observer of opts's query showing sel(data).
func NewSelectObserver[T, S any](c *Client, opts QueryOptions[T], sel func(T) (S, error)) *SelectObserver[T, S] {
	ob := &SelectObserver[T, S]{observerBase: observerBase{c: c}}
	if _, err := opts.Key.Hash(); err != nil {
		ob.err = err
		return ob
	}
	c.lock()
	ob.o = c.newObserver(c.resolve(selectConfig(&opts, sel)))
	c.unlock()
	return ob
}

func selectConfig[T, S any](opts *QueryOptions[T], sel func(T) (S, error)) *config {
	cfg := queryConfig(opts)
	cfg.selectFn = func(v any) (any, error) {
		t, err := as[T](v)
		if err != nil {
			return nil, err
		}
		s, err := sel(t)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return cfg
}

// Result returns the current result; see Observer.Result.
func (ob *SelectObserver[T, S]) Result() Result[S] {
	if ob.o == nil {
		return Result[S]{Status: StatusError, FetchStatus: FetchIdle, Error: ob.err}
	}
	ob.c.lock()
	defer ob.c.unlock()
	return convertResult(ob.o, ob.o.result(), &ob.tc)
}

// SetOptions replaces the options and the select function; see
// Observer.SetOptions.
func (ob *SelectObserver[T, S]) SetOptions(opts QueryOptions[T], sel func(T) (S, error)) error {
	if _, err := opts.Key.Hash(); err != nil {
		return err
	}
	ob.c.lock()
	defer ob.c.unlock()
	cfg := ob.c.resolve(selectConfig(&opts, sel))
	if ob.o == nil {
		ob.o, ob.err = ob.c.newObserver(cfg), nil
		return nil
	}
	ob.o.selGen++
	ob.o.setConfig(cfg)
	return nil
}

// queryConfig converts typed options into the untyped config.
func queryConfig[T any](o *QueryOptions[T]) *config {
	cfg := &config{
		key:            o.Key,
		staleTime:      o.StaleTime,
		gcTime:         o.GCTime,
		retry:          o.Retry,
		retryDelay:     o.RetryDelay,
		networkMode:    o.NetworkMode,
		timeout:        o.Timeout,
		initialAt:      o.InitialDataUpdatedAt,
		meta:           o.Meta,
		disabled:       o.Disabled,
		onMount:        o.RefetchOnMount,
		onFocus:        o.RefetchOnWindowFocus,
		onReconnect:    o.RefetchOnReconnect,
		refetchFunc:    o.RefetchFunc,
		interval:       o.RefetchInterval,
		intervalInBg:   o.RefetchIntervalInBackground,
		noRetryOnMount: o.NoRetryOnMount,
		notify:         o.NotifyOnChange,
	}
	if fn := o.Fn; fn != nil {
		cfg.fn = func(fc *fetchContext) (any, error) {
			v, err := fn(fc, fc.key)
			if err != nil {
				return nil, err
			}
			return v, nil
		}
	}
	if eq := o.Equal; eq != nil {
		cfg.equal = func(a, b any) bool {
			ta, err := as[T](a)
			if err != nil {
				return false
			}
			tb, err := as[T](b)
			return err == nil && eq(ta, tb)
		}
	}
	if init := o.InitialData; init != nil {
		cfg.initial = func() (any, bool) {
			v, ok := init()
			if !ok {
				return nil, false
			}
			return v, true
		}
	}
	if ph := o.PlaceholderData; ph != nil {
		cfg.placeholder = func(prev any, ok bool) (any, bool) {
			var p T
			if ok {
				var err error
				p, err = as[T](prev)
				ok = err == nil
			}
			v, ok := ph(p, ok)
			if !ok {
				return nil, false
			}
			return v, true
		}
	}
	return cfg
}
