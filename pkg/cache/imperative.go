package cache

import (
	"context"
)

// Fetch returns the data of the query opts describes: the cached data when
// it is fresh for opts.StaleTime, otherwise the result of a fetch (joining
// one in flight). Unlike observers it does not retry unless opts.Retry says
// so (QB-33). It blocks until the data is there or ctx is done; a
// cancelled fetch returns the reverted data or a *CancelledError (QB-14,
// QB-15).
func Fetch[T any](ctx context.Context, c *Client, opts QueryOptions[T]) (T, error) {
	var zero T
	r, v, err := startFetch(c, &opts, false)
	if err != nil || r == nil {
		if err != nil {
			return zero, err
		}
		return as[T](v)
	}
	v, err = c.await(ctx, r)
	if err != nil {
		return zero, err
	}
	return as[T](v)
}

// startFetch returns the retryer to wait for, or the cached data when it is
// fresh (or, with onlyIfMissing, present).
func startFetch[T any](c *Client, opts *QueryOptions[T], onlyIfMissing bool) (*retryer, any, error) {
	if _, err := opts.Key.Hash(); err != nil {
		return nil, nil, err
	}
	cfg := queryConfig(opts)
	cfg.imperative = true
	c.lock()
	defer c.unlock()
	cfg = c.resolve(cfg)
	q := c.build(cfg)
	if (onlyIfMissing && q.state.hasData) || (!onlyIfMissing && !q.isStaleByTime(cfg.staleTime)) {
		return nil, q.state.data, nil
	}
	return q.fetch(cfg, fetchOptions{}), nil, nil
}

// Prefetch fetches the query like Fetch without blocking and without
// reporting errors: use it to warm the cache. The Waiter waits for it.
func Prefetch[T any](c *Client, opts QueryOptions[T]) *Waiter {
	w := &Waiter{c: c}
	if r, _, _ := startFetch(c, &opts, false); r != nil {
		w.rs = append(w.rs, r)
	}
	return w
}

// EnsureData returns the cached data if there is any, stale or not, and
// fetches otherwise (TanStack's ensureQueryData). With revalidate, stale
// cached data is returned and refreshed in the background.
func EnsureData[T any](ctx context.Context, c *Client, opts QueryOptions[T], revalidate bool) (T, error) {
	var zero T
	r, v, err := startFetch(c, &opts, true)
	if err != nil {
		return zero, err
	}
	if r == nil {
		if revalidate {
			Prefetch(c, opts)
		}
		return as[T](v)
	}
	v, err = c.await(ctx, r)
	if err != nil {
		return zero, err
	}
	return as[T](v)
}

// GetQueryData returns the cached data for key, false when there is none,
// the key is invalid or the data is not a T.
func GetQueryData[T any](c *Client, key Key) (T, bool) {
	var zero T
	c.lock()
	// A read queues no notification, so release, not unlock: unlock would
	// only flush what a Batch holds back. No defer on the common path: the
	// lookup and a type assertion do not panic.
	q, _ := c.lookup(key)
	if q == nil || !q.state.hasData {
		c.release()
		return zero, false
	}
	if v, ok := q.state.data.(T); ok && !isRaw(q.state.data) {
		c.release()
		return v, true
	}
	defer c.release()
	v, err := as[T](q.state.data)
	if err != nil {
		return zero, false
	}
	settle(q, v)
	return v, true
}

// SetQueryData writes v as the data of key, creating the query if needed
// (QB-49). A value equal to the cached one (per the query's Equal, by
// default reflect.DeepEqual) keeps the cached value, so observers see no
// change (QB-37). A fetch in flight keeps running and its result will
// replace v (QB-50).
func SetQueryData[T any](c *Client, key Key, v T) error {
	// UpdateQueryData with func(T, bool) (T, bool) { return v, true },
	// without allocating that closure
	c.lock()
	defer c.unlock()
	q, err := c.lookup(key)
	if err != nil {
		return err
	}
	if q != nil && q.state.hasData {
		if _, err := as[T](q.state.data); err != nil {
			return err
		}
	}
	if any(v) != nil {
		c.write(q, key, v)
	}
	return nil
}

// write stores v, set by hand, as the data of key, whose query is q or nil.
// With the client locked; c.enc still holds key (see lookup).
func (c *Client) write(q *query, key Key, v any) {
	if q == nil {
		c.create(c.plainConfig(key), key, v, c.now())
		return
	}
	q.setData(v, nil, c.now(), true)
}

// UpdateQueryData sets the data of key to update(old, ok), where ok says
// whether there was data; when update returns false nothing changes and no
// query is created (QB-49). update runs with the client locked and must not
// call the Client.
func UpdateQueryData[T any](c *Client, key Key, update func(old T, ok bool) (T, bool)) error {
	c.lock()
	defer c.unlock()
	q, err := c.lookup(key)
	if err != nil {
		return err
	}
	var old T
	var ok bool
	if q != nil && q.state.hasData {
		if old, err = as[T](q.state.data); err != nil {
			return err
		}
		ok = true
	}
	// update must not call the Client, so c.enc still holds key
	if next, keep := update(old, ok); keep && any(next) != nil {
		c.write(q, key, next)
	}
	return nil
}

// SetQueriesData applies update to the data of every cached query matching
// f, creating none (QB-51). Queries whose data is not a T are skipped.
func SetQueriesData[T any](c *Client, f Filter, update func(old T, ok bool) (T, bool)) {
	c.lock()
	defer c.unlock()
	now := c.now()
	for _, q := range c.find(f) {
		var old T
		var ok bool
		if q.state.hasData {
			v, err := as[T](q.state.data)
			if err != nil {
				continue
			}
			old, ok = v, true
		}
		if next, keep := update(old, ok); keep && any(next) != nil {
			q.setData(next, nil, now, true)
		}
	}
}
