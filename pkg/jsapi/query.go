//go:build js

package jsapi

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"syscall/js"
	"time"

	"github.com/tandemkit/tandem/pkg/cache"
)

// A query is a cache.SelectObserver over JavaScript data: TanStack Query's
// observer, with a JavaScript query function. The data stays a JavaScript
// value (it never crosses as JSON); JavaScript reads the result only when
// told it changed.
type query struct {
	r     *Runtime
	h     int
	ob    *cache.SelectObserver[js.Value, js.Value]
	unsub func()
	dirty bool
}

// keyOf decodes a query key JavaScript sent as JSON.
func keyOf(s string) (cache.Key, error) {
	var k []any
	if err := json.Unmarshal([]byte(s), &k); err != nil {
		return nil, errors.New("tandem: a query key must be an array of JSON values: " + err.Error())
	}
	return cache.Key(k), nil
}

// duration reads a number of milliseconds; Infinity is cache.Never and
// "static" cache.StaleStatic; ok is false when v is absent.
func duration(v js.Value) (d time.Duration, ok bool) {
	switch v.Type() {
	case js.TypeNumber:
		ms := v.Float()
		if math.IsInf(ms, 1) {
			return cache.Never, true
		}
		return time.Duration(ms * float64(time.Millisecond)), true
	case js.TypeString:
		if v.String() == "static" {
			return cache.StaleStatic, true
		}
	}
	return 0, false
}

// queryOptions reads the options of query() (see the module's .d.ts) as
// the module passes them, each narrowed to one kind: keyJSON (the query
// key's JSON), queryFn (called with the AbortSignal alone), staleTime,
// gcTime and refetchInterval (ms, Infinity or "static"), retry (a number of
// retries, or a function), retryDelay and placeholderData (functions),
// select, enabled, refetchOnWindowFocus, refetchOnReconnect and
// refetchOnMount (a cache.Refetch: 0 if stale, 1 always, 2 never) and
// networkMode.
func (r *Runtime) queryOptions(o js.Value) (cache.QueryOptions[js.Value], func(js.Value) (js.Value, error), error) {
	key, err := keyOf(o.Get("keyJSON").String())
	if err != nil {
		return cache.QueryOptions[js.Value]{}, nil, err
	}
	opts := cache.QueryOptions[js.Value]{Key: key, Equal: same}
	if fn := o.Get("queryFn"); fn.Type() == js.TypeFunction {
		opts.Fn = func(ctx context.Context, _ cache.Key) (js.Value, error) { return r.await(ctx, fn) }
	}
	if d, ok := duration(o.Get("staleTime")); ok {
		opts.StaleTime = d
	}
	if d, ok := duration(o.Get("gcTime")); ok {
		opts.GCTime = cache.Dur(d)
	}
	switch v := o.Get("retry"); v.Type() {
	case js.TypeNumber:
		opts.Retry = cache.RetryCount(v.Int())
	case js.TypeFunction:
		opts.Retry = func(n int, err error) bool { return v.Invoke(n, r.jsError(err)).Truthy() }
	}
	if v := o.Get("retryDelay"); v.Type() == js.TypeFunction {
		opts.RetryDelay = func(n int, err error) time.Duration {
			d, _ := duration(v.Invoke(n, r.jsError(err)))
			return d
		}
	}
	if v := o.Get("placeholderData"); v.Type() == js.TypeFunction {
		opts.PlaceholderData = func(prev js.Value, ok bool) (js.Value, bool) {
			if !ok {
				prev = js.Undefined()
			}
			p := v.Invoke(prev)
			return p, !p.IsUndefined()
		}
	}
	if v := o.Get("enabled"); v.Type() == js.TypeBoolean && !v.Bool() {
		opts.Disabled = true
	}
	if d, ok := duration(o.Get("refetchInterval")); ok {
		opts.RefetchInterval = d
	}
	opts.RefetchOnWindowFocus = cache.Refetch(o.Get("refetchOnWindowFocus").Int())
	opts.RefetchOnReconnect = cache.Refetch(o.Get("refetchOnReconnect").Int())
	opts.RefetchOnMount = cache.Refetch(o.Get("refetchOnMount").Int())
	if o.Get("networkMode").String() == "always" {
		opts.NetworkMode = cache.NetworkAlways
	}
	sel := func(v js.Value) (js.Value, error) { return v, nil }
	if s := o.Get("select"); s.Type() == js.TypeFunction {
		sel = func(v js.Value) (out js.Value, err error) {
			err = catch(func() { out = s.Invoke(v) })
			return out, err
		}
	}
	return opts, sel, nil
}

// await calls fn with an AbortSignal and waits for the promise it returns
// (or takes a plain value as is), through host.then(promise, settled),
// which calls settled(true, value) or settled(false, reason); ctx's end
// aborts the signal and returns at once. It runs on a query function's
// goroutine, never on the event loop's.
func (r *Runtime) await(ctx context.Context, fn js.Value) (js.Value, error) {
	ctrl := js.Global().Get("AbortController").New()
	var p js.Value
	if err := catch(func() { p = fn.Invoke(ctrl.Get("signal")) }); err != nil {
		return js.Undefined(), err
	}
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil
	}
	type outcome struct {
		v   js.Value
		err error
	}
	ch := make(chan outcome, 1)
	var settled js.Func
	settled = js.FuncOf(func(_ js.Value, a []js.Value) any {
		if a[0].Bool() {
			ch <- outcome{v: a[1]}
		} else {
			ch <- outcome{err: newThrown(a[1])}
		}
		settled.Release()
		return nil
	})
	r.host.Call("then", p, settled)
	select {
	case o := <-ch:
		return o.v, o.err
	case <-ctx.Done():
		ctrl.Call("abort")
		return js.Undefined(), ctx.Err()
	}
}

// The calls exportQueries exports, numbered as callQueries gets them.
const (
	opQuery = iota
	opQsub
	opQunsub
	opQresult
	opQrefetch
	opQfree
	opInvalidate
	opSetData
	opGetData
)

func (r *Runtime) exportQueries(api js.Value) {
	r.export(api, []string{opQuery: "query", opQsub: "qsub", opQunsub: "qunsub", opQresult: "qresult", opQrefetch: "qrefetch", opQfree: "qfree", opInvalidate: "invalidate", opSetData: "setData", opGetData: "getData"}, r.callQueries)
}

// callQueries runs call op of exportQueries: a[0] is the handle of
// a query, or of a client for query, invalidate, setData and getData.
func (r *Runtime) callQueries(op int, a []js.Value) any {
	switch op {
	case opQuery:
		opts, sel, err := r.queryOptions(a[1])
		if err != nil {
			panic(err)
		}
		q := &query{r: r, ob: cache.NewSelectObserver(get[*client](r, a[0]).cc, opts, sel)}
		q.h = r.handle(q)
		return q.h
	case opInvalidate, opSetData, opGetData:
		cc := get[*client](r, a[0]).cc
		key, err := keyOf(a[1].String())
		if err != nil {
			panic(err)
		}
		switch op {
		case opInvalidate:
			cc.InvalidateQueries(cache.Filter{Key: key, Exact: a[2].Truthy()}, cache.InvalidateOptions{})
		case opSetData:
			if err := cache.SetQueryData(cc, key, a[2]); err != nil {
				panic(err)
			}
		default:
			if v, ok := cache.GetQueryData[js.Value](cc, key); ok {
				return v
			}
			return js.Undefined()
		}
		return nil
	}
	q := get[*query](r, a[0])
	switch op {
	case opQsub:
		if q.unsub == nil {
			q.unsub = q.ob.Subscribe(func() {
				if !q.dirty {
					q.dirty = true
					r.queries = append(r.queries, q)
				}
			})
		}
	case opQunsub, opQfree:
		if q.unsub != nil {
			q.unsub()
			q.unsub = nil
		}
		if op == opQfree {
			r.release(q.h)
		}
	case opQresult:
		// [status, fetchStatus, data, error, flags, dataUpdatedAt,
		// errorUpdatedAt, failureCount]; flags: 1 hasData, 2 isStale,
		// 4 isPlaceholderData, 8 isFetchedAfterMount.
		res := q.ob.Result()
		data, errv := js.Undefined(), js.Undefined()
		if res.HasData {
			data = res.Data
		}
		if res.Error != nil {
			errv = r.jsError(res.Error)
		}
		flags := 0
		for i, f := range []bool{res.HasData, res.IsStale, res.IsPlaceholderData, res.IsFetchedAfterMount} {
			if f {
				flags |= 1 << i
			}
		}
		return []any{res.Status.String(), res.FetchStatus.String(), data, errv, flags,
			millis(res.DataUpdatedAt), millis(res.ErrorUpdatedAt), res.FailureCount}
	case opQrefetch:
		q.ob.Refetch()
	}
	return nil
}

// millis is t as milliseconds since the epoch, or 0 for the zero time.
func millis(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli())
}
