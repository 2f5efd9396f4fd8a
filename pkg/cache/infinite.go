package cache

import "context"

// InfiniteData is the data of an infinite query: its pages, in order, and
// the page parameter each was fetched with.
type InfiniteData[T, P any] struct {
	Pages      []T
	PageParams []P
}

// InfiniteOptions configure an infinite query (TanStack's
// infiniteQueryOptions). The embedded QueryOptions hold the rest (Key,
// StaleTime, ...); their Fn is ignored.
type InfiniteOptions[T, P any] struct {
	QueryOptions[InfiniteData[T, P]]
	// PageFn fetches one page.
	PageFn func(ctx context.Context, key Key, param P) (T, error)
	// InitialPageParam is the parameter of the first page.
	InitialPageParam P
	// GetNextPageParam returns the parameter of the page after the last,
	// false when there is none. Required.
	GetNextPageParam func(data InfiniteData[T, P]) (P, bool)
	// GetPreviousPageParam returns the parameter of the page before the
	// first, false when there is none; nil means none.
	GetPreviousPageParam func(data InfiniteData[T, P]) (P, bool)
	// MaxPages caps the pages kept, dropping from the far end; 0 means no
	// cap.
	MaxPages int
}

// infiniteBehavior is what the untyped observer needs of an infinite query.
type infiniteBehavior struct {
	hasNext func(data any) bool
	hasPrev func(data any) bool
}

// InfiniteResult is the Result of an infinite query plus its page state.
type InfiniteResult[T, P any] struct {
	Result[InfiniteData[T, P]]
	HasNextPage              bool
	HasPreviousPage          bool
	IsFetchingNextPage       bool
	IsFetchingPreviousPage   bool
	IsFetchNextPageError     bool
	IsFetchPreviousPageError bool
}

// InfiniteObserver follows an infinite query: pages fetched one at a time
// with FetchNextPage and FetchPreviousPage; a refetch refetches every page
// in order, each with the parameter derived from the pages before it.
type InfiniteObserver[T, P any] struct {
	observerBase
	tc typedCache[InfiniteData[T, P]]
}

// NewInfiniteObserver returns an observer of the infinite query opts
// describes.
func NewInfiniteObserver[T, P any](c *Client, opts InfiniteOptions[T, P]) *InfiniteObserver[T, P] {
	ob := &InfiniteObserver[T, P]{observerBase: observerBase{c: c}}
	if _, err := opts.Key.Hash(); err != nil {
		ob.err = err
		return ob
	}
	c.lock()
	ob.o = c.newObserver(c.resolve(infiniteConfig(&opts)))
	c.unlock()
	return ob
}

// Result returns the current result.
func (ob *InfiniteObserver[T, P]) Result() InfiniteResult[T, P] {
	if ob.o == nil {
		return InfiniteResult[T, P]{Result: Result[InfiniteData[T, P]]{Status: StatusError, FetchStatus: FetchIdle, Error: ob.err}}
	}
	ob.c.lock()
	defer ob.c.unlock()
	r := ob.o.result()
	return InfiniteResult[T, P]{
		Result:                   convertResult(ob.o, r, &ob.tc),
		HasNextPage:              r.pages.hasNext,
		HasPreviousPage:          r.pages.hasPrev,
		IsFetchingNextPage:       r.pages.fetchingNext,
		IsFetchingPreviousPage:   r.pages.fetchingPrev,
		IsFetchNextPageError:     r.pages.nextError,
		IsFetchPreviousPageError: r.pages.prevError,
	}
}

// FetchNextPage fetches the page after the last one and appends it.
func (ob *InfiniteObserver[T, P]) FetchNextPage() *Waiter { return ob.fetchMore(fetchForward) }

// FetchPreviousPage fetches the page before the first one and prepends it.
func (ob *InfiniteObserver[T, P]) FetchPreviousPage() *Waiter { return ob.fetchMore(fetchBackward) }

func (ob *InfiniteObserver[T, P]) fetchMore(dir fetchMeta) *Waiter {
	w := &Waiter{c: ob.c}
	if ob.o == nil {
		return w
	}
	ob.c.lock()
	w.rs = append(w.rs, ob.o.fetch(fetchOptions{cancelRefetch: true, meta: dir}))
	ob.c.unlock()
	return w
}

// SetOptions replaces the options; see Observer.SetOptions.
func (ob *InfiniteObserver[T, P]) SetOptions(opts InfiniteOptions[T, P]) error {
	if _, err := opts.Key.Hash(); err != nil {
		return err
	}
	ob.c.lock()
	defer ob.c.unlock()
	cfg := ob.c.resolve(infiniteConfig(&opts))
	if ob.o == nil {
		ob.o, ob.err = ob.c.newObserver(cfg), nil
		return nil
	}
	ob.o.setConfig(cfg)
	return nil
}

func infiniteConfig[T, P any](opts *InfiniteOptions[T, P]) *config {
	qo := opts.QueryOptions
	qo.Fn = nil
	cfg := queryConfig(&qo)
	type data = InfiniteData[T, P]
	next, prev := opts.GetNextPageParam, opts.GetPreviousPageParam
	pageFn, initial, maxPages := opts.PageFn, opts.InitialPageParam, opts.MaxPages
	hasNext := func(v any) bool {
		d, err := as[data](v)
		if err != nil || next == nil || len(d.Pages) == 0 {
			return false
		}
		_, ok := next(d)
		return ok
	}
	hasPrev := func(v any) bool {
		d, err := as[data](v)
		if err != nil || prev == nil || len(d.Pages) == 0 {
			return false
		}
		_, ok := prev(d)
		return ok
	}
	cfg.infinite = &infiniteBehavior{hasNext: hasNext, hasPrev: hasPrev}
	if pageFn == nil {
		return cfg
	}
	cfg.fn = func(fc *fetchContext) (any, error) {
		var old data
		if fc.hasOld {
			var err error
			if old, err = as[data](fc.old); err != nil {
				return nil, err
			}
		}
		fetchPage := func(p P) (T, error) { return pageFn(fc, fc.key, p) }
		if len(old.Pages) > 0 && (fc.meta == fetchForward || fc.meta == fetchBackward) {
			get := next
			if fc.meta == fetchBackward {
				get = prev
			}
			if get == nil {
				return old, nil
			}
			p, ok := get(old)
			if !ok {
				return old, nil
			}
			page, err := fetchPage(p)
			if err != nil {
				return nil, err
			}
			var out data
			if fc.meta == fetchForward {
				out.Pages = append(append(make([]T, 0, len(old.Pages)+1), old.Pages...), page)
				out.PageParams = append(append(make([]P, 0, len(old.Pages)+1), old.PageParams...), p)
				if maxPages > 0 && len(out.Pages) > maxPages {
					drop := len(out.Pages) - maxPages
					out.Pages, out.PageParams = out.Pages[drop:], out.PageParams[drop:]
				}
			} else {
				out.Pages = append([]T{page}, old.Pages...)
				out.PageParams = append([]P{p}, old.PageParams...)
				if maxPages > 0 && len(out.Pages) > maxPages {
					out.Pages, out.PageParams = out.Pages[:maxPages], out.PageParams[:maxPages]
				}
			}
			return out, nil
		}
		// refetch every page, in order
		n := max(len(old.Pages), 1)
		p := initial
		if len(old.PageParams) > 0 {
			p = old.PageParams[0]
		}
		var out data
		for i := 0; i < n; i++ {
			if i > 0 {
				if next == nil {
					break
				}
				np, ok := next(out)
				if !ok {
					break
				}
				p = np
			}
			page, err := fetchPage(p)
			if err != nil {
				return nil, err
			}
			out.Pages = append(out.Pages, page)
			out.PageParams = append(out.PageParams, p)
		}
		return out, nil
	}
	return cfg
}
