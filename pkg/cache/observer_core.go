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
	// syncVer is the version of q whose state res shows as refreshPlain
	// made it, or 0; see query.ver.
	syncVer uint64
	// lazy says that the parts of res that come from the query state are
	// out of date: they are q's current state. updateSynced leaves them so
	// rather than copying the state into every observer on every change;
	// materialize copies it before res is read or q's updates stop
	// reaching the observer. Only an observer in sync is lazy.
	lazy bool
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
	o.materialize()
	if !o.mounted {
		o.refreshQuery()
		o.res, o.syncVer = o.createResult(true), 0
	}
	return &o.res
}

func (o *observer) refreshQuery() {
	if o.q.removed {
		o.materialize()
		o.q, o.syncVer = o.c.build(o.cfg), 0
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
	o.mountData, o.mountErr = q.state.dataUpdateCount, q.state.errorUpdateCount()
	if o.shouldFetchOnMount() {
		o.fetch(fetchOptions{})
	}
	o.updateResult()
	o.updateTimers()
}

func (o *observer) unmount() {
	o.materialize()
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
		o.res, o.syncVer, o.lazy = o.createResult(false), 0, false
	}
	return r
}

func (o *observer) setConfig(cfg *config) {
	prevCfg, prevQ := o.cfg, o.q
	o.cfg = cfg
	o.materialize()
	o.q, o.syncVer = o.c.build(cfg), 0
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

// materialize copies the query state into a lazy result.
func (o *observer) materialize() {
	if !o.lazy {
		return
	}
	o.lazy = false
	s, r := &o.q.state, &o.res
	if s.hasData {
		r.data, r.dataID = s.data, s.dataID
	} else {
		r.data, r.dataID = nil, 0
	}
	r.hasData = s.hasData
	r.copyState(s)
}

// copyState sets the fields of r that every observer takes from the query
// state as they are: statuses, update times and counts, errors.
func (r *result) copyState(s *queryState) {
	r.status, r.fetchStatus = s.status, s.fetchStatus
	r.dataUpdatedAt, r.dataUpdateCount = s.dataUpdatedAt, s.dataUpdateCount
	r.err, r.errorUpdatedAt, r.errorUpdateCount = s.err(), s.errorUpdatedAt(), s.errorUpdateCount()
	r.failureCount, r.failureReason = s.failureCount(), s.failureReason()
}

// afterUpdate restarts the timers of a subscribed observer after its query
// changed.
func (o *observer) afterUpdate() {
	if o.mounted && (o.staleStop != nil || o.intervalStop != nil || o.wantsTimers()) {
		o.updateTimers()
	}
}

// updateSynced is updateResult, then the timers, for a plain observer whose
// result showed q's previous state (o.syncVer == q.ver-1): it skips the
// comparisons of the state that q.pdiff made once for all observers. It
// runs for every observer of a query on every change, so it calls nothing
// in the common case.
func (o *observer) updateSynced(q *query) {
	s := &q.state
	r := &o.res
	if s.hasData && o.lastWithData != q {
		o.lastWithData = q
	}
	var stale bool
	switch st := o.cfg.staleTime; {
	case o.cfg.disabled, st == StaleStatic && s.hasData:
	case !s.hasData, s.isInvalidated:
		stale = true
	case st != Never:
		stale = q.staleAfter(st)
	}
	fetchedAfterMount := o.mounted && (s.dataUpdateCount > o.mountData || s.errorUpdateCount() > o.mountErr)
	d := q.pdiff
	if r.isStale != stale {
		d |= PropIsStale
	}
	if r.isFetchedAfterMount != fetchedAfterMount {
		d |= PropIsFetchedAfterMount
	}
	o.syncVer = q.ver
	if d != 0 {
		// r is a plain result: the parts from the state, when they
		// changed, are now q.state's, left for materialize to copy
		if d&^(PropIsStale|PropIsFetchedAfterMount) != 0 {
			o.lazy = true
		}
		r.isStale, r.isFetchedAfterMount = stale, fetchedAfterMount
		mask := o.cfg.notify
		if mask == 0 {
			mask = PropAll
		}
		if o.mounted && d&mask != 0 {
			if ls := &o.ls; ls.queued != o.c.flushes && ls.len() > 0 {
				ls.queued = o.c.flushes
				o.c.pending = append(o.c.pending, ls)
			}
		}
		o.c.emit(EventObserverResultsUpdated, q)
	}
	if o.mounted && (o.staleStop != nil || o.intervalStop != nil || o.wantsTimers()) {
		o.updateTimers()
	}
}

// updateResult recomputes the result and queues a notification when a part
// the observer's listeners care about changed (QB-43).
func (o *observer) updateResult() {
	o.materialize()
	var d Prop
	if cfg := o.cfg; cfg.selectFn == nil && cfg.placeholder == nil && cfg.infinite == nil {
		d = o.refreshPlain()
	} else {
		next := o.createResult(false)
		if d = diff(&o.res, &next); d != 0 {
			o.res, o.syncVer = next, 0
		}
	}
	if d == 0 {
		return
	}
	o.notify(d)
}

// notify queues a notification when the changes d concern the listeners,
// and tells the cache listeners the result changed.
func (o *observer) notify(d Prop) {
	mask := o.cfg.notify
	if mask == 0 {
		mask = PropAll
	}
	if o.mounted && d&mask != 0 {
		o.c.enqueue(&o.ls)
	}
	o.c.emit(EventObserverResultsUpdated, o.q)
}

// refreshPlain is createResult(false) followed by diff for an observer
// without select, placeholder or pages, in one pass and in place: it
// replaces the result only when something differs, and returns what. One
// query update runs it for every observer, so it avoids building a result
// and calling helpers.
func (o *observer) refreshPlain() Prop {
	q := o.q
	s := &q.state
	r := &o.res
	if s.hasData && o.lastWithData != q {
		o.lastWithData = q
	}
	var dataID uint64
	if s.hasData {
		dataID = s.dataID
	}
	stale := !o.cfg.disabled && q.isStaleByTime(o.cfg.staleTime)
	fetchedAfterMount := o.mounted && (s.dataUpdateCount > o.mountData || s.errorUpdateCount() > o.mountErr)
	var d Prop
	if r.status != s.status {
		d |= PropStatus
	}
	if r.fetchStatus != s.fetchStatus {
		d |= PropFetchStatus
	}
	if r.dataID != dataID || r.hasData != s.hasData {
		d |= PropData
	}
	if !sameErr(r.err, s.err()) || r.errorUpdateCount != s.errorUpdateCount() {
		d |= PropError
	}
	if !sameTime(r.dataUpdatedAt, s.dataUpdatedAt) || r.dataUpdateCount != s.dataUpdateCount {
		d |= PropDataUpdatedAt
	}
	if !sameTime(r.errorUpdatedAt, s.errorUpdatedAt()) {
		d |= PropErrorUpdatedAt
	}
	if r.failureCount != s.failureCount() || !sameErr(r.failureReason, s.failureReason()) {
		d |= PropFailure
	}
	if r.isStale != stale {
		d |= PropIsStale
	}
	if r.isPlaceholder {
		d |= PropIsPlaceholderData
	}
	if r.isFetchedAfterMount != fetchedAfterMount {
		d |= PropIsFetchedAfterMount
	}
	if r.pages != (pageInfo{}) {
		d |= PropPages
	}
	o.syncVer = q.ver
	if d != 0 {
		o.setPlain(s, stale, fetchedAfterMount)
	}
	return d
}

// setPlain sets the result of a plain observer from the query state s.
func (o *observer) setPlain(s *queryState, stale, fetchedAfterMount bool) {
	var data any
	var dataID uint64
	if s.hasData {
		data, dataID = s.data, s.dataID
	}
	o.res = result{
		data:                data,
		hasData:             s.hasData,
		dataID:              dataID,
		isStale:             stale,
		isFetchedAfterMount: fetchedAfterMount,
	}
	o.res.copyState(s)
}

func (o *observer) createResult(optimistic bool) result {
	q, cfg := o.q, o.cfg
	s := &q.state
	var r result
	r.copyState(s)
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
	r.isFetchedAfterMount = o.mounted && (s.dataUpdateCount > o.mountData || s.errorUpdateCount() > o.mountErr)
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
	if o.staleStop == nil && o.intervalStop == nil && !o.wantsTimers() {
		return // nothing to stop, nothing to start
	}
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
		wait := s.dataUpdatedAt.Add(st).Sub(c.now())
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

// wantsTimers reports whether updateTimers would start a timer.
func (o *observer) wantsTimers() bool {
	cfg := o.cfg
	st := cfg.staleTime
	if cfg.interval <= 0 && (st == Never || st == StaleStatic) {
		return false // the common case first: nothing times out
	}
	if cfg.disabled || !o.mounted || o.c.closed {
		return false
	}
	return cfg.interval > 0 || (o.q.state.hasData && !o.res.isStale)
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
