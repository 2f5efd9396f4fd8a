package cache

import (
	"context"
	"errors"
)

// QueryType selects queries by whether they are observed.
type QueryType uint8

const (
	// QueryAll (the zero value) selects every query.
	QueryAll QueryType = iota
	// QueryActive selects queries with at least one enabled observer.
	QueryActive
	// QueryInactive selects the others.
	QueryInactive
)

// StaleFilter selects queries by staleness.
type StaleFilter uint8

// The staleness filters; the zero value selects any.
const (
	StaleAny StaleFilter = iota
	StaleOnly
	FreshOnly
)

// A Filter selects queries (QB-03, QB-04); its conditions combine with AND
// and the zero Filter selects every query. Key matches as a prefix (see
// MatchKey) unless Exact; the match walks a trie of key segments, so its
// cost follows the matches, not the cache size.
type Filter struct {
	Key         Key
	Exact       bool
	Type        QueryType
	Stale       StaleFilter
	FetchStatus FetchStatus
	// Predicate, when set, must also hold. It runs with the client locked
	// and must not call the Client.
	Predicate func(QueryInfo) bool
}

func (f *Filter) matches(q *query) bool {
	switch f.Type {
	case QueryActive:
		if !q.isActive() {
			return false
		}
	case QueryInactive:
		if q.isActive() {
			return false
		}
	}
	switch f.Stale {
	case StaleOnly:
		if !q.isStale() {
			return false
		}
	case FreshOnly:
		if q.isStale() {
			return false
		}
	}
	if f.FetchStatus != 0 && q.state.fetchStatus != f.FetchStatus {
		return false
	}
	if f.Predicate != nil && !f.Predicate(q.info()) {
		return false
	}
	return true
}

// find returns the queries matching f; an invalid filter key matches none.
func (c *Client) find(f Filter) []*query {
	return c.findInto(nil, &f)
}

// findInto appends the queries matching f to out.
func (c *Client) findInto(out []*query, f *Filter) []*query {
	start := len(out)
	switch {
	case f.Exact:
		if q, _ := c.lookup(f.Key); q != nil {
			out = append(out, q)
		}
	case len(f.Key) > 0:
		enc, err := c.enc.encode(f.Key)
		if err != nil {
			return out
		}
		out = c.index.match(out, f.Key, enc, c.enc.ends[:c.enc.n])
	default:
		out = collect(out, &c.index.root)
	}
	if f.Type == QueryAll && f.Stale == StaleAny && f.FetchStatus == 0 && f.Predicate == nil {
		return out
	}
	kept := out[:start]
	for _, q := range out[start:] {
		if f.matches(q) {
			kept = append(kept, q)
		}
	}
	clear(out[len(kept):])
	return kept
}

// takeScratch returns an empty slice to find into, reusing the client's;
// giveScratch returns it. A nested use (a callback of the first) gets a new
// one.
func (c *Client) takeScratch() []*query {
	s := c.scratch
	c.scratch = nil
	return s[:0]
}

func (c *Client) giveScratch(s []*query) {
	clear(s)
	if cap(s) > 4096 && len(s) < cap(s)/8 {
		return // do not keep a large buffer for small finds
	}
	c.scratch = s[:0]
}

// Find returns snapshots of the queries matching f, in no particular order.
func (c *Client) Find(f Filter) []QueryInfo {
	c.lock()
	defer c.unlock()
	qs := c.find(f)
	out := make([]QueryInfo, len(qs))
	for i, q := range qs {
		out[i] = q.info()
	}
	return out
}

// QueryState returns a snapshot of the query for key, if cached.
func (c *Client) QueryState(key Key) (QueryInfo, bool) {
	c.lock()
	defer c.unlock()
	q, _ := c.lookup(key)
	if q == nil {
		return QueryInfo{}, false
	}
	return q.info(), true
}

// Len returns the number of cached queries.
func (c *Client) Len() int {
	c.lock()
	defer c.unlock()
	return c.count
}

// IsFetching counts the matching queries whose function is running.
func (c *Client) IsFetching(f Filter) int {
	f.FetchStatus = Fetching
	c.lock()
	defer c.unlock()
	return len(c.find(f))
}

// RefetchType says which invalidated queries InvalidateQueries refetches.
type RefetchType uint8

// The refetch types; the zero value refetches active queries.
const (
	RefetchActive RefetchType = iota
	RefetchInactive
	RefetchAllQueries
	RefetchNone
)

// InvalidateOptions tune InvalidateQueries.
type InvalidateOptions struct {
	// RefetchType picks which invalidated queries refetch; default active.
	RefetchType RefetchType
	// NoCancelRefetch joins fetches in flight instead of restarting them.
	NoCancelRefetch bool
}

// InvalidateQueries marks the matching queries stale and refetches those
// that RefetchType selects (active by default), except disabled and
// StaleStatic ones (QB-24, QB-25). A fetch in flight is cancelled and
// restarted unless NoCancelRefetch (QB-10, QB-11). It returns at once; the
// Waiter waits for the refetches.
func (c *Client) InvalidateQueries(f Filter, opts InvalidateOptions) *Waiter {
	c.lock()
	defer c.unlock()
	return c.invalidateLocked(f, opts)
}

func (c *Client) invalidateLocked(f Filter, opts InvalidateOptions) *Waiter {
	qs := c.findInto(c.takeScratch(), &f)
	defer c.giveScratch(qs)
	for _, q := range qs {
		q.invalidate()
	}
	if opts.RefetchType == RefetchNone {
		return c.noWait
	}
	switch opts.RefetchType {
	case RefetchActive:
		f.Type = QueryActive
	case RefetchInactive:
		f.Type = QueryInactive
	case RefetchAllQueries:
		f.Type = QueryAll
	}
	var w *Waiter
	for _, q := range qs {
		if f.matches(q) {
			w = c.refetchOne(q, !opts.NoCancelRefetch, w)
		}
	}
	if w == nil {
		return c.noWait
	}
	return w
}

// refetchOne refetches q unless it is disabled or static, adding the fetch
// to w, which it creates when nil, and returns w.
func (c *Client) refetchOne(q *query, cancelRefetch bool, w *Waiter) *Waiter {
	if q.isDisabled() || q.isStatic() {
		return w
	}
	r := q.fetch(nil, fetchOptions{cancelRefetch: cancelRefetch})
	if q.state.fetchStatus != FetchPaused {
		if w == nil {
			w = &Waiter{c: c}
		}
		w.rs = append(w.rs, r)
	}
	return w
}

// RefetchOptions tune RefetchQueries.
type RefetchOptions struct {
	// NoCancelRefetch joins fetches in flight instead of restarting them.
	NoCancelRefetch bool
}

// RefetchQueries refetches the matching queries, skipping disabled and
// StaleStatic ones (QB-29). Paused fetches are not waited for.
func (c *Client) RefetchQueries(f Filter, opts RefetchOptions) *Waiter {
	c.lock()
	defer c.unlock()
	var w *Waiter
	for _, q := range c.find(f) {
		w = c.refetchOne(q, !opts.NoCancelRefetch, w)
	}
	if w == nil {
		return c.noWait
	}
	return w
}

// CancelOptions tune CancelQueries.
type CancelOptions struct {
	// NoRevert leaves a cancelled query in error state with a
	// *CancelledError instead of restoring its state before the fetch.
	NoRevert bool
}

// CancelQueries cancels the fetches in flight of the matching queries: their
// contexts are cancelled and, by default, each query returns to its state
// before the fetch (QB-14 to QB-16). Settled queries are untouched.
func (c *Client) CancelQueries(f Filter, opts CancelOptions) {
	c.lock()
	defer c.unlock()
	for _, q := range c.find(f) {
		q.cancel(&CancelledError{Revert: !opts.NoRevert})
	}
}

// ResetQueries returns the matching queries to their initial state (their
// InitialData, or pending) and refetches the active ones.
func (c *Client) ResetQueries(f Filter) *Waiter {
	c.lock()
	defer c.unlock()
	qs := c.find(f)
	for _, q := range qs {
		q.reset()
	}
	var w *Waiter
	for _, q := range qs {
		if q.isActive() {
			w = c.refetchOne(q, true, w)
		}
	}
	if w == nil {
		return c.noWait
	}
	return w
}

// RemoveQueries drops the matching queries from the cache, cancelling their
// fetches silently. Observers of a removed query build it anew on their
// next fetch.
func (c *Client) RemoveQueries(f Filter) {
	c.lock()
	defer c.unlock()
	for _, q := range c.find(f) {
		c.removeQuery(q)
	}
}

// Clear removes every query and every mutation.
func (c *Client) Clear() {
	c.lock()
	defer c.unlock()
	for _, q := range c.queries() {
		c.removeQuery(q)
	}
	if c.mutOps != nil {
		c.mutOps.removeAll()
	}
}

// A Waiter waits for the fetches an operation started, like the promise
// TanStack returns.
type Waiter struct {
	c  *Client
	rs []*retryer
	ms []*mutation
}

// Wait blocks until every fetch settled or ctx is done. It returns ctx's
// error, or the fetches' errors joined (cancellations excluded); the data
// is in the cache either way.
func (w *Waiter) Wait(ctx context.Context) error {
	var errs []error
	for _, r := range w.rs {
		if _, err := w.c.await(ctx, r); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !IsCancelled(err) {
				errs = append(errs, err)
			}
		}
	}
	for _, m := range w.ms {
		select {
		case <-m.settled:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.Join(errs...)
}

// await waits for r's outcome, following silent restarts.
func (c *Client) await(ctx context.Context, r *retryer) (any, error) {
	for {
		select {
		case <-r.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		c.lock()
		next, v, err := r.next, r.value, r.err
		c.unlock()
		if next == nil {
			return v, err
		}
		r = next
	}
}
