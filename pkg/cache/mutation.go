package cache

import (
	"context"
	"time"
)

// MutationOptions configure a Mutation. Zero fields take defaults from
// SetMutationDefaults (matching Key) and ClientOptions.DefaultMutationOptions.
//
// Callback order on success (QB-54): the cache's OnSuccess, OnSuccess, the
// cache's OnSettled, OnSettled, then the callbacks given to Mutate; the
// mutation turns success only after them, so it still counts as pending in
// OnSettled. An error from OnMutate, OnSuccess or OnSettled on the success
// path fails the mutation (QB-55): then OnError and OnSettled run with the
// error. Callbacks run on the mutation's goroutine (OnMutate on the caller's)
// with no lock held; a panic becomes a *PanicError.
type MutationOptions[V, R any] struct {
	// Key names the mutation, for defaults, filters and Hydrate.
	Key Key
	// Fn performs the mutation; its context is cancelled when the client
	// closes or the attempt times out.
	Fn func(ctx context.Context, vars V) (R, error)
	// OnMutate runs synchronously inside Mutate, before Fn (QB-52); its
	// result is the mutation context given to the other callbacks (for
	// example a snapshot to roll back in OnError, QB-53).
	OnMutate  func(vars V) (mctx any, err error)
	OnSuccess func(data R, vars V, mctx any) error
	OnError   func(err error, vars V, mctx any) error
	OnSettled func(data R, err error, vars V, mctx any) error
	// Retry decides retries; nil means none (QB-33).
	Retry      RetryFunc
	RetryDelay RetryDelayFunc
	// NetworkMode: offline, an online-mode mutation pauses after OnMutate
	// and resumes on reconnect (QB-58).
	NetworkMode NetworkMode
	Timeout     time.Duration
	// Scope serialises mutations: those with the same non-empty Scope run
	// one at a time, in order (QB-57).
	Scope string
	// GCTime keeps a settled, unobserved mutation; nil means DefaultGCTime.
	GCTime *time.Duration
	// Invalidates lists keys to invalidate when the mutation settles, but
	// only once no other pending mutation lists an overlapping key: the last
	// one to settle invalidates for all, so a refetch never lands between
	// two optimistic writes.
	Invalidates []Key
	Meta        map[string]any
}

// MutateCallbacks are per-call callbacks of Mutation.Mutate; they fire only
// if this call is still the observer's latest when it settles (QB-56).
type MutateCallbacks[V, R any] struct {
	OnSuccess func(data R, vars V, mctx any)
	OnError   func(err error, vars V, mctx any)
	OnSettled func(data R, err error, vars V, mctx any)
}

// MutationResult is what a Mutation shows of its latest call.
type MutationResult[V, R any] struct {
	Status        MutationStatus
	Data          R
	Error         error
	Variables     V
	Context       any
	FailureCount  int
	FailureReason error
	IsPaused      bool
	SubmittedAt   time.Time
}

// IsIdle reports Status == MutationIdle.
func (r MutationResult[V, R]) IsIdle() bool { return r.Status == MutationIdle }

// IsPending reports Status == MutationPending.
func (r MutationResult[V, R]) IsPending() bool { return r.Status == MutationPending }

// IsSuccess reports Status == MutationSuccess.
func (r MutationResult[V, R]) IsSuccess() bool { return r.Status == MutationSuccess }

// IsError reports Status == MutationError.
func (r MutationResult[V, R]) IsError() bool { return r.Status == MutationError }

// Mutation runs a server write and shows its latest call: TanStack's
// MutationObserver (useMutation without React). Each Mutate creates a
// mutation in the client's mutation cache. Safe for concurrent use.
type Mutation[V, R any] struct {
	c   *Client
	cfg *mutationConfig
	mo  *mutationObserver
}

// NewMutation returns a Mutation of opts.
func NewMutation[V, R any](c *Client, opts MutationOptions[V, R]) *Mutation[V, R] {
	cfg := mutationConfigOf(&opts)
	return &Mutation[V, R]{c: c, cfg: cfg, mo: &mutationObserver{c: c}}
}

// Mutate starts the mutation with vars and returns once OnMutate has run;
// Fn runs on its own goroutine. cbs (at most one is used) fire when it
// settles, if no later Mutate replaced it.
func (m *Mutation[V, R]) Mutate(vars V, cbs ...MutateCallbacks[V, R]) {
	var cb *mutateCallbacks
	if len(cbs) > 0 {
		cb = typedMutateCallbacks(cbs[0])
	}
	m.start(vars, cb)
}

func (m *Mutation[V, R]) start(vars V, cb *mutateCallbacks) *mutation {
	c := m.c
	c.lock()
	cfg := *m.cfg
	mu := c.newMutation(c.resolveMutation(&cfg))
	m.mo.follow(mu, cb)
	c.addMutation(mu)
	c.unlock()
	mu.execute(vars, false)
	return mu
}

// Do runs the mutation like Mutate and waits for it to settle, returning
// its data or error. When ctx ends first Do returns ctx's error and the
// mutation goes on.
func (m *Mutation[V, R]) Do(ctx context.Context, vars V) (R, error) {
	var zero R
	mu := m.start(vars, nil)
	select {
	case <-mu.settled:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	m.c.lock()
	data, err := mu.state.data, mu.state.err
	m.c.unlock()
	if err != nil {
		return zero, err
	}
	if data == nil {
		return zero, nil
	}
	return as[R](data)
}

// Result returns the state of the latest call, idle before the first one
// and after Reset.
func (m *Mutation[V, R]) Result() MutationResult[V, R] {
	m.c.lock()
	s := m.mo.snapshot()
	m.c.unlock()
	out := MutationResult[V, R]{
		Status: s.status, Error: s.err, Context: s.context,
		FailureCount: s.failureCount, FailureReason: s.failureReason,
		IsPaused: s.isPaused, SubmittedAt: s.submittedAt,
	}
	if s.data != nil {
		out.Data, _ = as[R](s.data)
	}
	if s.variables != nil {
		out.Variables, _ = as[V](s.variables)
	}
	return out
}

// Subscribe registers listener, called (through the Scheduler) when
// Result changes. The returned function unsubscribes.
func (m *Mutation[V, R]) Subscribe(listener func()) (unsubscribe func()) {
	c := m.c
	c.lock()
	l, _ := m.mo.ls.add(listener)
	c.unlock()
	return func() {
		c.lock()
		m.mo.ls.remove(l)
		c.unlock()
	}
}

// Reset forgets the latest call: Result is idle again and the mutation, once
// settled, becomes collectable.
func (m *Mutation[V, R]) Reset() {
	m.c.lock()
	m.mo.follow(nil, nil)
	m.c.enqueue(&m.mo.ls)
	m.c.unlock()
}

// mutationConfig is the untyped form of MutationOptions.
type mutationConfig struct {
	key         Key
	fn          func(fc *fetchContext, vars any) (any, error)
	onMutate    func(vars any) (any, error)
	onSuccess   func(data, vars, mctx any) error
	onError     func(err error, vars, mctx any) error
	onSettled   func(data any, err error, vars, mctx any) error
	retry       RetryFunc
	retryDelay  RetryDelayFunc
	networkMode NetworkMode
	timeout     time.Duration
	scope       string
	gcTime      *time.Duration
	invalidates []Key
	meta        map[string]any
}

// fill takes from d what cfg lacks.
func (cfg *mutationConfig) fill(d *mutationConfig) {
	if cfg.fn == nil {
		cfg.fn = d.fn
	}
	if cfg.onMutate == nil {
		cfg.onMutate = d.onMutate
	}
	if cfg.onSuccess == nil {
		cfg.onSuccess = d.onSuccess
	}
	if cfg.onError == nil {
		cfg.onError = d.onError
	}
	if cfg.onSettled == nil {
		cfg.onSettled = d.onSettled
	}
	if cfg.retry == nil {
		cfg.retry = d.retry
	}
	if cfg.retryDelay == nil {
		cfg.retryDelay = d.retryDelay
	}
	if cfg.networkMode == 0 {
		cfg.networkMode = d.networkMode
	}
	if cfg.timeout == 0 {
		cfg.timeout = d.timeout
	}
	if cfg.scope == "" {
		cfg.scope = d.scope
	}
	if cfg.gcTime == nil {
		cfg.gcTime = d.gcTime
	}
	if cfg.invalidates == nil {
		cfg.invalidates = d.invalidates
	}
}

func mutationConfigOf[V, R any](o *MutationOptions[V, R]) *mutationConfig {
	cfg := &mutationConfig{
		key: o.Key, retry: o.Retry, retryDelay: o.RetryDelay, networkMode: o.NetworkMode,
		timeout: o.Timeout, scope: o.Scope, gcTime: o.GCTime, invalidates: o.Invalidates, meta: o.Meta,
	}
	vars := func(v any) V { t, _ := as[V](v); return t }
	data := func(v any) R {
		if v == nil {
			var zero R
			return zero
		}
		t, _ := as[R](v)
		return t
	}
	if fn := o.Fn; fn != nil {
		cfg.fn = func(fc *fetchContext, v any) (any, error) {
			in, err := as[V](v)
			if err != nil {
				return nil, err
			}
			out, err := fn(fc, in)
			if err != nil {
				return nil, err
			}
			return out, nil
		}
	}
	if f := o.OnMutate; f != nil {
		cfg.onMutate = func(v any) (any, error) { return f(vars(v)) }
	}
	if f := o.OnSuccess; f != nil {
		cfg.onSuccess = func(d, v, mctx any) error { return f(data(d), vars(v), mctx) }
	}
	if f := o.OnError; f != nil {
		cfg.onError = func(err error, v, mctx any) error { return f(err, vars(v), mctx) }
	}
	if f := o.OnSettled; f != nil {
		cfg.onSettled = func(d any, err error, v, mctx any) error { return f(data(d), err, vars(v), mctx) }
	}
	return cfg
}

type mutateCallbacks struct {
	onSuccess func(data, vars, mctx any)
	onError   func(err error, vars, mctx any)
	onSettled func(data any, err error, vars, mctx any)
}

func typedMutateCallbacks[V, R any](cb MutateCallbacks[V, R]) *mutateCallbacks {
	vars := func(v any) V { t, _ := as[V](v); return t }
	data := func(v any) R {
		if v == nil {
			var zero R
			return zero
		}
		t, _ := as[R](v)
		return t
	}
	out := &mutateCallbacks{}
	if f := cb.OnSuccess; f != nil {
		out.onSuccess = func(d, v, mctx any) { f(data(d), vars(v), mctx) }
	}
	if f := cb.OnError; f != nil {
		out.onError = func(err error, v, mctx any) { f(err, vars(v), mctx) }
	}
	if f := cb.OnSettled; f != nil {
		out.onSettled = func(d any, err error, v, mctx any) { f(data(d), err, vars(v), mctx) }
	}
	return out
}
