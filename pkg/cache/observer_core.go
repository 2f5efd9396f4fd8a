package cache

// observer is the untyped core of Observer: TanStack's QueryObserver. It
// follows one query, computes its result and owns the stale and polling
// timers. All fields are guarded by Client.mu.
type observer struct {
	c            *Client
	cfg          *config
	q            *query
	ls           listenerSet
	res          result
	mounted      bool
	mountData    int
	mountErr     int
	lastWithData *query
	sel          selectMemo
	selGen       uint64
	ph           placeholderMemo
	staleStop    func() bool
	intervalStop func() bool
	timerGen     uint64
}

type selectMemo struct {
	valid  bool
	srcID  uint64
	gen    uint64
	out    any
	hasOut bool
	outID  uint64
	err    error
}

type placeholderMemo struct {
	valid bool
	q     *query
	srcID uint64
	out   any
	ok    bool
	outID uint64
}

func (c *Client) newObserver(cfg *config) *observer {
	o := &observer{c: c, cfg: cfg}
	o.q = c.build(cfg)
	o.res = o.createResult(true)
	return o
}

// result returns the current result: the live one while subscribed,
// otherwise what subscribing now would show (TanStack's optimistic result).
func (o *observer) result() *result {
	if !o.mounted {
		o.refreshQuery()
		o.res = o.createResult(true)
	}
	return &o.res
}

func (o *observer) refreshQuery() {
	if o.q.removed {
		o.q = o.c.build(o.cfg)
		o.sel, o.ph = selectMemo{}, placeholderMemo{}
	}
}

func (o *observer) subscribe(f func()) func() {
	c := o.c
	c.lock()
	l, n := o.ls.add(f)
	if n == 1 {
		o.mount()
	}
	c.unlock()
	return func() {
		c.lock()
		if o.ls.remove(l) == 0 {
			o.unmount()
		}
		c.unlock()
	}
}

func (o *observer) mount() {
	o.refreshQuery()
	q := o.q
	q.addObserver(o)
	o.mounted = true
	o.mountData, o.mountErr = q.state.dataUpdateCount, q.state.errorUpdateCount
	if o.shouldFetchOnMount() {
		o.fetch(fetchOptions{})
	}
	o.updateResult()
	o.updateTimers()
}

func (o *observer) unmount() {
	o.clearTimers()
	o.mounted = false
	o.q.removeObserver(o)
}

func (o *observer) fetch(fo fetchOptions) *retryer {
	if o.q.removed {
		o.refreshQuery()
		if o.mounted {
			o.q.addObserver(o)
		}
	}
	r := o.q.fetch(o.cfg, fo)
	if !o.mounted {
		o.res = o.createResult(false)
	}
	return r
}

func (o *observer) setConfig(cfg *config) {
	prevCfg, prevQ := o.cfg, o.q
	o.cfg = cfg
	o.q = o.c.build(cfg)
	if o.q != prevQ {
		o.sel, o.ph = selectMemo{}, placeholderMemo{}
		if o.mounted {
			prevQ.removeObserver(o)
			o.q.addObserver(o)
		}
	}
	if o.mounted && (o.q != prevQ || cfg.disabled != prevCfg.disabled) && o.isStale() {
		o.fetch(fetchOptions{})
	}
	o.updateResult()
	if o.mounted {
		o.updateTimers()
	}
	o.c.emit(EventObserverOptionsUpdated, o.q)
}

func (o *observer) isStale() bool {
	return !o.cfg.disabled && o.q.isStaleByTime(o.cfg.staleTime)
}

func (o *observer) shouldFetchOnMount() bool {
	if o.cfg.disabled {
		return false
	}
	s := &o.q.state
	if !s.hasData {
		return !(s.status == StatusError && o.cfg.noRetryOnMount)
	}
	return o.shouldFetchOn(TriggerMount)
}

func (o *observer) shouldFetchOn(t Trigger) bool {
	if o.cfg.disabled || o.cfg.staleTime == StaleStatic {
		return false
	}
	switch o.cfg.refetchOn(t, o.q) {
	case RefetchAlways:
		return true
	case RefetchNever:
		return false
	}
	return o.isStale()
}

func (o *observer) onQueryUpdate() {
	o.updateResult()
	if o.mounted {
		o.updateTimers()
	}
}

// updateResult recomputes the result and queues a notification when a part
// the observer's listeners care about changed (QB-43).
func (o *observer) updateResult() {
	next := o.createResult(false)
	d := diff(&o.res, &next)
	if d == 0 {
		return
	}
	o.res = next
	mask := o.cfg.notify
	if mask == 0 {
		mask = PropAll
	}
	if o.mounted && d&mask != 0 {
		o.c.enqueue(&o.ls)
	}
	o.c.emit(EventObserverResultsUpdated, o.q)
}

func (o *observer) createResult(optimistic bool) result {
	q, cfg := o.q, o.cfg
	s := &q.state
	r := result{
		status:           s.status,
		fetchStatus:      s.fetchStatus,
		dataUpdatedAt:    s.dataUpdatedAt,
		dataUpdateCount:  s.dataUpdateCount,
		err:              s.err,
		errorUpdatedAt:   s.errorUpdatedAt,
		errorUpdateCount: s.errorUpdateCount,
		failureCount:     s.failureCount,
		failureReason:    s.failureReason,
	}
	if optimistic && o.shouldFetchOnMount() {
		r.fetchStatus = FetchPaused
		if o.c.canFetch(cfg.networkMode) {
			r.fetchStatus = Fetching
		}
		r.failureCount, r.failureReason = 0, nil
		if !s.hasData {
			r.status, r.err = StatusPending, nil
		}
	}
	if s.hasData {
		r.data, r.dataID, r.hasData = s.data, s.dataID, true
		if cfg.selectFn != nil {
			o.runSelect(&r, s.data, s.dataID)
		}
	} else if r.status == StatusPending && cfg.placeholder != nil {
		o.runPlaceholder(&r)
	}
	r.isStale = o.isStale()
	r.isFetchedAfterMount = o.mounted && (s.dataUpdateCount > o.mountData || s.errorUpdateCount > o.mountErr)
	if cfg.infinite != nil && s.hasData {
		inf := cfg.infinite
		r.pages.hasNext = inf.hasNext(s.data)
		r.pages.hasPrev = inf.hasPrev(s.data)
		r.pages.fetchingNext = r.fetchStatus == Fetching && s.fetchMeta == fetchForward
		r.pages.fetchingPrev = r.fetchStatus == Fetching && s.fetchMeta == fetchBackward
		r.pages.nextError = r.status == StatusError && s.fetchMeta == fetchForward
		r.pages.prevError = r.status == StatusError && s.fetchMeta == fetchBackward
	}
	if s.hasData && !optimistic {
		o.lastWithData = q
	}
	return r
}

// runSelect applies the select function, memoised on the data version and
// the select generation (QB-39); equal outputs keep their identity; an
// error keeps the last good output (QB-40).
func (o *observer) runSelect(r *result, data any, id uint64) {
	m := &o.sel
	if !m.valid || m.srcID != id || m.gen != o.selGen {
		out, err := safeSelect(o.cfg.selectFn, data)
		m.valid, m.srcID, m.gen, m.err = true, id, o.selGen, err
		if err == nil {
			if !m.hasOut || !o.equalSelected(m.out, out) {
				m.out, m.outID = out, o.c.nextID()
			}
			m.hasOut = true
		}
	}
	r.data, r.dataID, r.hasData = m.out, m.outID, m.hasOut
	if m.err != nil {
		r.status, r.err = StatusError, m.err
	}
}

func (o *observer) equalSelected(a, b any) bool {
	if o.cfg.selectEqual != nil {
		return o.cfg.selectEqual(a, b)
	}
	return deepEqual(a, b)
}

func safeSelect(f func(any) (any, error), v any) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, &PanicError{Value: p}
		}
	}()
	return f(v)
}

func (o *observer) runPlaceholder(r *result) {
	m := &o.ph
	var prev any
	var prevOK bool
	var srcID uint64
	if lq := o.lastWithData; lq != nil && lq != o.q && lq.state.hasData {
		prev, prevOK, srcID = lq.state.data, true, lq.state.dataID
	}
	if !m.valid || m.q != o.q || m.srcID != srcID {
		out, ok := o.cfg.placeholder(prev, prevOK)
		*m = placeholderMemo{valid: true, q: o.q, srcID: srcID, out: out, ok: ok && out != nil, outID: o.c.nextID()}
	}
	if !m.ok {
		return
	}
	r.status, r.isPlaceholder = StatusSuccess, true
	r.data, r.dataID, r.hasData = m.out, m.outID, true
	if o.cfg.selectFn != nil {
		o.runSelect(r, m.out, m.outID)
	}
}

func (o *observer) updateTimers() {
	o.clearTimers()
	if o.c.closed || !o.mounted {
		return
	}
	o.timerGen++
	gen := o.timerGen
	c := o.c
	s := &o.q.state
	st := o.cfg.staleTime
	if !o.cfg.disabled && s.hasData && !o.res.isStale && st != Never && st != StaleStatic {
		wait := s.dataUpdatedAt.Add(st).Sub(c.clock.Now())
		o.staleStop = c.clock.AfterFunc(max(wait, 0), func() {
			c.lock()
			if o.timerGen == gen {
				o.staleStop = nil
				o.updateResult()
			}
			c.unlock()
		})
	}
	if iv := o.cfg.interval; iv > 0 && !o.cfg.disabled {
		o.intervalStop = c.clock.AfterFunc(iv, func() {
			c.lock()
			if o.timerGen == gen {
				o.intervalStop = nil
				if o.cfg.intervalInBg || c.isFocused() {
					o.fetch(fetchOptions{})
				}
				if o.timerGen == gen {
					o.updateTimers()
				}
			}
			c.unlock()
		})
	}
}

func (o *observer) clearTimers() {
	o.timerGen++
	if o.staleStop != nil {
		o.staleStop()
		o.staleStop = nil
	}
	if o.intervalStop != nil {
		o.intervalStop()
		o.intervalStop = nil
	}
}
