package cache

import (
	"bytes"
	"reflect"
	"time"
)

// query is one cache entry: TanStack's Query, a state machine. Every change
// goes through dispatch, which reduces an action into the state and then
// tells the query's observers and the cache listeners, all under Client.mu.
type query struct {
	c       *Client
	key     Key
	node    *indexNode
	cfg     *config
	state   queryState
	initial *queryState // nil: pending, no data
	retryer *retryer
	obs     []*observer
	gcTime  time.Duration // the longest seen; -1 never
	gcAt    int64         // its deadline in the gcSweeper, while gcOn
	// ver counts the state's changes; pdiff is what the last one changed
	// in the result of a plain observer (no select, placeholder or pages),
	// computed once for all observers in sync, see observer.syncVer.
	ver      uint64
	pdiff    Prop
	removed  bool
	hasGCSet bool
	gcOn     bool // scheduled for collection
}

// hash returns the hash text of the query's key (see Key.Hash).
func (q *query) hash() string { return q.node.hash }

// fetchMeta tells an infinite query which way to fetch.
type fetchMeta uint8

const (
	fetchAll fetchMeta = iota
	fetchForward
	fetchBackward
)

type actionKind uint8

const (
	actFetch actionKind = iota
	actFailed
	actPause
	actContinue
	actSuccess
	actError
	actInvalidate
	actSetState
)

type action struct {
	kind     actionKind
	meta     fetchMeta
	failures int
	err      error
	data     any
	dataID   uint64
	raw      []byte
	at       time.Time
	manual   bool
	state    *queryState
}

func (q *query) updateGCTime(d *time.Duration) {
	g := gcDuration(d)
	switch {
	case !q.hasGCSet:
		q.gcTime, q.hasGCSet = g, true
	case q.gcTime < 0:
	case g < 0 || g > q.gcTime:
		q.gcTime = g
	}
}

// setOptions takes the options of the latest user (TanStack replaces them
// wholesale), keeping a query function when the new options have none, and
// seeds data from InitialData if the query has none yet.
func (q *query) setOptions(cfg *config) {
	if cfg.fn == nil && q.cfg != nil && q.cfg.fn != nil {
		merged := *cfg
		merged.fn = q.cfg.fn
		cfg = &merged
	}
	q.cfg = cfg
	q.updateGCTime(cfg.gcTime)
	if !q.state.hasData && cfg.initial != nil {
		if v, ok := cfg.initial(); ok && v != nil {
			at := cfg.initialAt
			if at.IsZero() {
				at = q.c.now()
			}
			s := q.state
			s.data, s.hasData, s.dataID, s.dataUpdatedAt = v, true, q.c.nextID(), at
			s.status = StatusSuccess
			s.clearErr()
			initial := s
			initial.fetchStatus = FetchIdle
			q.initial = &initial
			q.setState(&s)
		}
	}
}

func (q *query) dispatch(a *action) {
	s := &q.state
	var prev queryState
	if len(q.obs) > 0 {
		prev = *s
	}
	switch a.kind {
	case actFetch:
		s.clearFailure()
		s.fetchMeta = a.meta
		s.fetchStatus = FetchPaused
		if q.c.canFetch(q.cfg.networkMode) {
			s.fetchStatus = Fetching
		}
		if !s.hasData {
			s.status = StatusPending
			s.clearErr()
		}
	case actFailed:
		f := s.editFail()
		f.failureCount, f.failureReason = a.failures, a.err
		s.setFail(f)
	case actPause:
		s.fetchStatus = FetchPaused
	case actContinue:
		s.fetchStatus = Fetching
	case actSuccess:
		s.data, s.hasData, s.dataID, s.raw = a.data, true, a.dataID, a.raw
		s.dataUpdateCount++
		s.dataUpdatedAt = a.at
		s.clearErr()
		s.isInvalidated = false
		s.status = StatusSuccess
		if !a.manual {
			s.fetchStatus = FetchIdle
			s.clearFailure()
		}
	case actError:
		f := s.editFail()
		f.err = a.err
		f.errorUpdateCount++
		f.errorUpdatedAt = q.c.now()
		f.failureCount++
		f.failureReason = a.err
		s.setFail(f)
		s.fetchStatus = FetchIdle
		s.status = StatusError
		s.isInvalidated = true
	case actInvalidate:
		s.isInvalidated = true
	case actSetState:
		*s = *a.state
	}
	if len(q.obs) > 0 {
		q.pdiff = plainDiff(&prev, s)
	}
	q.updated()
}

// updated tells the observers and the cache listeners that the state
// changed, with q.pdiff set.
func (q *query) updated() {
	if len(q.obs) > 0 {
		q.ver++
		for _, o := range q.obs {
			if o.syncVer == q.ver-1 && o.syncVer != 0 {
				o.updateSynced(q)
			} else {
				o.updateResult()
				o.afterUpdate()
			}
		}
	}
	q.c.emit(EventUpdated, q)
}

func (q *query) setState(s *queryState) {
	q.dispatch(&action{kind: actSetState, state: s})
}

// setData stores v as the query's data, keeping the cached value (and its
// identity) when it is equal to v: by fingerprint when both have one,
// otherwise by the query's Equal.
func (q *query) setData(v any, raw []byte, at time.Time, manual bool) {
	s := &q.state
	id := uint64(0)
	if s.hasData && q.sameData(v, raw) {
		v, id = s.data, s.dataID
		if raw == nil {
			raw = s.raw
		}
	} else {
		id = q.c.nextID()
	}
	q.dispatch(&action{kind: actSuccess, data: v, dataID: id, raw: raw, at: at, manual: manual})
}

func (q *query) sameData(v any, raw []byte) bool {
	s := &q.state
	if raw != nil && s.raw != nil {
		return bytes.Equal(raw, s.raw)
	}
	if q.cfg != nil && q.cfg.equal != nil {
		return q.cfg.equal(s.data, v)
	}
	return reflect.DeepEqual(s.data, v)
}

func (q *query) invalidate() {
	if !q.state.isInvalidated {
		q.state.isInvalidated = true // the reducer's actInvalidate, without building an action
		q.pdiff = 0
		q.updated()
	}
}

// isStaleByTime reports whether the data is stale for an observer with the
// given StaleTime.
func (q *query) isStaleByTime(staleTime time.Duration) bool {
	if !q.state.hasData {
		return true
	}
	if staleTime == StaleStatic {
		return false
	}
	if q.state.isInvalidated {
		return true
	}
	if staleTime == Never {
		return false
	}
	return q.staleAfter(staleTime)
}

func (q *query) staleAfter(staleTime time.Duration) bool {
	return !q.c.now().Before(q.state.dataUpdatedAt.Add(staleTime))
}

// isStale is the staleness filters see: invalidated, stale for any
// observer, or, unobserved, without data.
func (q *query) isStale() bool {
	if q.state.isInvalidated {
		return true
	}
	if len(q.obs) > 0 {
		for _, o := range q.obs {
			if o.res.isStale {
				return true
			}
		}
		return false
	}
	return !q.state.hasData
}

func (q *query) isActive() bool {
	for _, o := range q.obs {
		if !o.cfg.disabled {
			return true
		}
	}
	return false
}

// isDisabled: observed by disabled observers only, or unobserved and never
// fetched (or without a function), so refetches leave it alone.
func (q *query) isDisabled() bool {
	if len(q.obs) > 0 {
		return !q.isActive()
	}
	return q.cfg == nil || q.cfg.fn == nil || q.state.dataUpdateCount+q.state.errorUpdateCount() == 0
}

func (q *query) isStatic() bool {
	for _, o := range q.obs {
		if o.cfg.staleTime == StaleStatic {
			return true
		}
	}
	return false
}

// fetchOptions are per-fetch options.
type fetchOptions struct {
	cancelRefetch bool
	meta          fetchMeta
}

// fetch starts a fetch, or joins the one in flight. With cfg nil it uses the
// query's options. TanStack's Query.fetch.
func (q *query) fetch(cfg *config, fo fetchOptions) *retryer {
	if q.state.fetchStatus != FetchIdle && q.retryer != nil && q.retryer.st != rsDone {
		if q.state.hasData && fo.cancelRefetch {
			q.cancel(&CancelledError{Silent: true})
		} else {
			q.retryer.retryCancelled = false
			return q.retryer
		}
	}
	prev := q.retryer
	if cfg != nil {
		q.setOptions(cfg)
	}
	use := q.cfg
	revert := q.state
	if q.state.fetchStatus == FetchIdle || q.state.fetchMeta != fo.meta {
		q.dispatch(&action{kind: actFetch, meta: fo.meta})
	}
	c := q.c
	old, hasOld, oldRaw := q.state.data, q.state.hasData, q.state.raw
	key, meta := q.key, fo.meta
	fn := q.cfg.fn
	r := &retryer{
		retry:      c.queryRetry(use),
		delay:      use.retryDelay,
		mode:       q.cfg.networkMode,
		timeout:    q.cfg.timeout,
		onFail:     func(n int, err error) { q.dispatch(&action{kind: actFailed, failures: n, err: err}) },
		onPause:    func() { q.dispatch(&action{kind: actPause}) },
		onContinue: func() { q.dispatch(&action{kind: actContinue}) },
		revert:     revert,
	}
	r.init(c)
	r.newCtx = func() *fetchContext {
		fc := newFetchContext(&r.shared, key)
		fc.meta, fc.old, fc.hasOld, fc.prevRaw = meta, old, hasOld, oldRaw
		return fc
	}
	if fn == nil {
		fn = func(*fetchContext) (any, error) { return nil, ErrNoQueryFn }
	}
	r.run = fn
	r.onSuccess = func(v any, fc *fetchContext) { q.fetchSucceeded(r, v, fc) }
	r.onError = func(err error) {
		if q.retryer == r {
			q.dispatch(&action{kind: actError, err: err})
		}
		r.finish(nil, err)
		q.scheduleGC()
	}
	r.onCancel = func(ce *CancelledError) { q.fetchCancelled(r, ce) }
	q.retryer = r
	if prev != nil && prev.st == rsDone && prev.next == nil && isSilent(prev.err) {
		prev.next = r
	}
	r.start()
	return r
}

func isSilent(err error) bool {
	ce, ok := err.(*CancelledError)
	return ok && ce.Silent
}

func (q *query) fetchSucceeded(r *retryer, v any, fc *fetchContext) {
	if _, ok := v.(notModified); ok {
		if !fc.hasOld {
			r.onError(ErrNotModified)
			return
		}
		v, fc.newRaw = fc.old, fc.prevRaw
	}
	if v == nil {
		r.onError(ErrNoData)
		return
	}
	if q.retryer == r {
		q.setData(v, fc.newRaw, q.c.now(), false)
	}
	r.finish(q.state.data, nil)
	q.scheduleGC()
}

func (q *query) fetchCancelled(r *retryer, ce *CancelledError) {
	if ce.Revert {
		s := r.revert
		s.fetchStatus = FetchIdle
		q.setState(&s)
	}
	switch {
	case ce.Silent:
		r.finish(nil, ce)
	case ce.Revert:
		if q.state.hasData {
			r.finish(q.state.data, nil)
		} else {
			r.finish(nil, ce)
		}
	default:
		q.dispatch(&action{kind: actError, err: ce})
		r.finish(nil, ce)
	}
	q.scheduleGC()
}

// cancel cancels the fetch in flight, if any.
func (q *query) cancel(ce *CancelledError) {
	if q.retryer != nil {
		q.retryer.cancel(ce)
	}
}

// reset returns the query to its initial state (TanStack's reset).
func (q *query) reset() {
	q.clearGC()
	if q.initial != nil {
		q.setState(q.initial)
	} else {
		s := pendingState()
		q.setState(&s)
	}
}

func (q *query) addObserver(o *observer) {
	for _, x := range q.obs {
		if x == o {
			return
		}
	}
	q.obs = append(q.obs, o)
	q.clearGC()
	q.c.emit(EventObserverAdded, q)
}

func (q *query) removeObserver(o *observer) {
	for i, x := range q.obs {
		if x == o {
			q.obs = append(q.obs[:i], q.obs[i+1:]...)
			break
		}
	}
	if len(q.obs) == 0 {
		if r := q.retryer; r != nil && r.st != rsDone {
			if r.shared.consumed.Load() {
				r.cancel(&CancelledError{Revert: true})
			} else {
				r.retryCancelled = true
			}
		}
		q.scheduleGC()
	}
	q.c.emit(EventObserverRemoved, q)
}

func (q *query) onTrigger(t Trigger) {
	for _, o := range q.obs {
		if o.shouldFetchOn(t) {
			o.fetch(fetchOptions{cancelRefetch: false})
			break
		}
	}
	if q.retryer != nil {
		q.retryer.continueRun()
	}
}

// info returns the read-only view filters and callbacks see.
func (q *query) info() QueryInfo {
	s := &q.state
	qi := QueryInfo{
		Key:            q.key,
		Hash:           q.hash(),
		Status:         s.status,
		FetchStatus:    s.fetchStatus,
		HasData:        s.hasData,
		DataUpdatedAt:  s.dataUpdatedAt,
		Error:          s.err(),
		ErrorUpdatedAt: s.errorUpdatedAt(),
		FailureCount:   s.failureCount(),
		IsInvalidated:  s.isInvalidated,
		IsStale:        q.isStale(),
		Observers:      len(q.obs),
		Active:         q.isActive(),
	}
	if q.cfg != nil {
		qi.Meta = q.cfg.meta
	}
	return qi
}

// QueryInfo is a read-only snapshot of a query, for filter predicates,
// RefetchFunc and inspection.
type QueryInfo struct {
	Key            Key
	Hash           string
	Status         Status
	FetchStatus    FetchStatus
	HasData        bool
	DataUpdatedAt  time.Time
	Error          error
	ErrorUpdatedAt time.Time
	FailureCount   int
	IsInvalidated  bool
	// IsStale is stale for any observer, or, unobserved, without data or
	// invalidated.
	IsStale bool
	// Observers counts the subscribed observers; Active says at least one
	// of them is enabled.
	Observers int
	Active    bool
	Meta      map[string]any
}
