package cache

import "time"

// mutation is one call of a Mutation, kept in the client's mutation cache:
// TanStack's Mutation. Fields are guarded by Client.mu.
type mutation struct {
	c         *Client
	id        uint64
	cfg       *mutationConfig
	state     mutationState
	retryer   *retryer
	obs       []*mutationObserver
	gcTime    time.Duration
	gcStop    func() bool
	gcGen     uint64
	removed   bool
	restarted bool          // a restored mutation was re-executed
	settled   chan struct{} // closed once, when it settles
}

type mutationState struct {
	context       any
	data          any
	err           error
	failureCount  int
	failureReason error
	isPaused      bool
	status        MutationStatus
	variables     any
	submittedAt   time.Time
}

func (c *Client) newMutation(cfg *mutationConfig) *mutation {
	m := &mutation{c: c, id: c.nextID(), cfg: cfg, settled: make(chan struct{})}
	m.state.status = MutationIdle
	m.gcTime = gcDuration(cfg.gcTime)
	return m
}

func (m *mutation) info() MutationInfo {
	s := &m.state
	return MutationInfo{
		ID: m.id, Key: m.cfg.key, Scope: m.cfg.scope, Status: s.status, IsPaused: s.isPaused,
		Variables: s.variables, Context: s.context, Data: s.data, Error: s.err,
		FailureCount: s.failureCount, FailureReason: s.failureReason, SubmittedAt: s.submittedAt,
	}
}

func (m *mutation) update(f func(s *mutationState)) {
	f(&m.state)
	for _, o := range m.obs {
		m.c.enqueue(&o.ls)
	}
	m.c.emitMutation(EventMutationUpdated, m)
}

func (m *mutation) addObserver(o *mutationObserver) {
	m.obs = append(m.obs, o)
	m.clearGC()
}

func (m *mutation) removeObserver(o *mutationObserver) {
	for i, x := range m.obs {
		if x == o {
			m.obs = append(m.obs[:i], m.obs[i+1:]...)
			break
		}
	}
	m.scheduleGC()
}

// execute runs the mutation: OnMutate on the caller's goroutine (unless
// restored), then Fn through a retryer, then the callbacks on a goroutine
// of its own. Called without the lock.
func (m *mutation) execute(vars any, restored bool) {
	c := m.c
	if !restored {
		c.lock()
		paused := !(c.canFetch(m.cfg.networkMode) && c.mutationCanRun(m))
		now := c.clock.Now()
		m.update(func(s *mutationState) {
			*s = mutationState{status: MutationPending, variables: vars, isPaused: paused, submittedAt: now}
		})
		info := m.info()
		c.unlock()
		mctx, err := m.runOnMutate(vars, info)
		if err != nil {
			go m.settle(nil, err, vars, mctx)
			return
		}
		if mctx != nil {
			c.lock()
			m.update(func(s *mutationState) { s.context = mctx })
			c.unlock()
		}
	}
	c.lock()
	if restored {
		m.update(func(s *mutationState) { s.isPaused = false })
	}
	r := m.newRetryer(vars)
	m.retryer = r
	r.start()
	c.unlock()
	go m.await(r)
}

func (m *mutation) runOnMutate(vars any, info MutationInfo) (mctx any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p}
		}
	}()
	if f := m.c.mcache.OnMutate; f != nil {
		if err := f(vars, info); err != nil {
			return nil, err
		}
	}
	if f := m.cfg.onMutate; f != nil {
		return f(vars)
	}
	return nil, nil
}

func (m *mutation) newRetryer(vars any) *retryer {
	c := m.c
	cfg := m.cfg
	r := &retryer{
		retry:      cfg.retry,
		delay:      cfg.retryDelay,
		mode:       cfg.networkMode,
		timeout:    cfg.timeout,
		canRun:     func() bool { return c.mutationCanRun(m) },
		onFail:     func(n int, err error) { m.update(func(s *mutationState) { s.failureCount, s.failureReason = n, err }) },
		onPause:    func() { m.update(func(s *mutationState) { s.isPaused = true }) },
		onContinue: func() { m.update(func(s *mutationState) { s.isPaused = false }) },
	}
	r.init(c)
	r.newCtx = func() *fetchContext { return newFetchContext(&r.shared, cfg.key) }
	fn := cfg.fn
	r.run = func(fc *fetchContext) (any, error) {
		if fn == nil {
			return nil, ErrNoMutationFn
		}
		return fn(fc, vars)
	}
	r.onSuccess = func(v any, _ *fetchContext) {
		if _, ok := v.(notModified); ok {
			v = nil
		}
		r.finish(v, nil)
	}
	r.onError = func(err error) { r.finish(nil, err) }
	r.onCancel = func(ce *CancelledError) { r.finish(nil, ce) }
	return r
}

// continueRun resumes a paused mutation, re-executing a restored one.
func (m *mutation) continueRun() {
	if m.state.status != MutationPending {
		return
	}
	if m.retryer != nil {
		m.retryer.continueRun()
		return
	}
	if m.restarted {
		return
	}
	m.restarted = true
	go m.execute(m.state.variables, true)
}

func (m *mutation) await(r *retryer) {
	<-r.done
	c := m.c
	c.lock()
	v, err := r.value, r.err
	vars, mctx := m.state.variables, m.state.context
	c.unlock()
	m.settle(v, err, vars, mctx)
}

// settle runs the callbacks in TanStack's order and then records the
// outcome. Called without the lock.
func (m *mutation) settle(v any, err error, vars, mctx any) {
	if err == nil {
		if err = m.successCallbacks(v, vars, mctx); err == nil {
			m.finish(v, nil, vars, mctx)
			return
		}
	}
	m.errorCallbacks(err, vars, mctx)
	m.finish(nil, err, vars, mctx)

}

func (m *mutation) snapshotInfo() MutationInfo {
	m.c.lock()
	defer m.c.unlock()
	return m.info()
}

func (m *mutation) successCallbacks(v, vars, mctx any) error {
	mc, cfg := &m.c.mcache, m.cfg
	info := m.snapshotInfo()
	steps := []func() error{
		func() error {
			if mc.OnSuccess != nil {
				return mc.OnSuccess(v, vars, mctx, info)
			}
			return nil
		},
		func() error {
			if cfg.onSuccess != nil {
				return cfg.onSuccess(v, vars, mctx)
			}
			return nil
		},
		func() error {
			if mc.OnSettled != nil {
				return mc.OnSettled(v, nil, vars, mctx, info)
			}
			return nil
		},
		func() error {
			if cfg.onSettled != nil {
				return cfg.onSettled(v, nil, vars, mctx)
			}
			return nil
		},
	}
	for _, step := range steps {
		if err := guard(step); err != nil {
			return mutationError("callback", err)
		}
	}
	return nil
}

func (m *mutation) errorCallbacks(err error, vars, mctx any) {
	mc, cfg := &m.c.mcache, m.cfg
	info := m.snapshotInfo()
	steps := []func() error{
		func() error {
			if mc.OnError != nil {
				return mc.OnError(err, vars, mctx, info)
			}
			return nil
		},
		func() error {
			if cfg.onError != nil {
				return cfg.onError(err, vars, mctx)
			}
			return nil
		},
		func() error {
			if mc.OnSettled != nil {
				return mc.OnSettled(nil, err, vars, mctx, info)
			}
			return nil
		},
		func() error {
			if cfg.onSettled != nil {
				return cfg.onSettled(nil, err, vars, mctx)
			}
			return nil
		},
	}
	for _, step := range steps {
		if cerr := guard(step); cerr != nil && m.c.report != nil {
			m.c.report(mutationError("error callback", cerr))
		}
	}
}

func guard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p}
		}
	}()
	return f()
}

func (m *mutation) finish(v any, err error, vars, mctx any) {
	c := m.c
	c.lock()
	c.invalidateAfter(m)
	m.update(func(s *mutationState) {
		s.isPaused = false
		if err == nil {
			s.data, s.err, s.status = v, nil, MutationSuccess
			s.failureCount, s.failureReason = 0, nil
		} else {
			s.data, s.err, s.status = nil, err, MutationError
			s.failureCount++
			s.failureReason = err
		}
	})
	c.runNext(m)
	var cbs []*mutateCallbacks
	for _, o := range m.obs {
		if o.cur == m && o.cbs != nil {
			cbs = append(cbs, o.cbs)
		}
	}
	m.scheduleGC()
	close(m.settled)
	c.unlock()
	for _, cb := range cbs {
		if err == nil {
			if cb.onSuccess != nil {
				callListener(func() { cb.onSuccess(v, vars, mctx) }, c.report)
			}
		} else if cb.onError != nil {
			callListener(func() { cb.onError(err, vars, mctx) }, c.report)
		}
		if cb.onSettled != nil {
			callListener(func() { cb.onSettled(v, err, vars, mctx) }, c.report)
		}
	}
}

// mutationObserver is the untyped core of Mutation: it follows the latest
// mutation it started. Guarded by Client.mu.
type mutationObserver struct {
	c   *Client
	ls  listenerSet
	cur *mutation
	cbs *mutateCallbacks
}

func (o *mutationObserver) follow(m *mutation, cb *mutateCallbacks) {
	if o.cur != nil {
		o.cur.removeObserver(o)
	}
	o.cur, o.cbs = m, cb
	if m != nil {
		m.addObserver(o)
	}
}

func (o *mutationObserver) snapshot() mutationState {
	if o.cur == nil {
		return mutationState{status: MutationIdle}
	}
	return o.cur.state
}
