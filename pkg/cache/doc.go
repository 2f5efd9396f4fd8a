// Package cache is Tandem's query cache: TanStack Query core in Go. It holds
// server state for the browser: it fetches through query functions, dedupes
// concurrent fetches, caches, retries, invalidates, refetches in the
// background and garbage-collects what nobody watches. It imports nothing of
// Tandem's and compiles natively and under GOOS=js.
//
// # Tour
//
// A Client owns a query cache and a mutation cache, with its Clock,
// Scheduler, FocusSource and OnlineSource. There are no package globals: two
// clients never see each other.
//
//	c := cache.NewClient(cache.ClientOptions{})
//	defer c.Close()
//
// A Key names a query: cache.Key{"todos", cache.M{"page": 1}}. Maps hash in
// sorted order, lists in order; filters match keys as prefixes (MatchKey),
// through a trie over key segments, so their cost follows the matches.
//
// QueryOptions[T] describe a typed query. Query functions take a
// context.Context, cancelled when the fetch is cancelled, and run on their
// own goroutines. An Observer[T] follows a query:
//
//	todos := cache.NewObserver(c, cache.QueryOptions[[]Todo]{
//		Key: cache.Key{"todos"},
//		Fn:  cache.GetJSON[[]Todo](api, func(cache.Key) string { return "/todos" }),
//	})
//	unsubscribe := todos.Subscribe(func() { render(todos.Result()) })
//
// Subscribing activates the observer (TanStack's mount): it fetches when the
// data is missing or stale, starts the stale and polling timers, and
// refetches on window focus and reconnect. Result returns one Result[T] value
// (status, fetch status, data, error, timestamps, staleness, placeholder,
// failure count). SelectObserver derives a view with a memoised select;
// InfiniteObserver pages. The imperative side: Fetch, Prefetch, EnsureData,
// GetQueryData, SetQueryData, UpdateQueryData, SetQueriesData, and the
// Client's InvalidateQueries, RefetchQueries, CancelQueries, ResetQueries,
// RemoveQueries, IsFetching.
//
// A Mutation[V, R] runs writes with OnMutate (whose context reaches OnError
// and OnSettled), OnSuccess, OnError and OnSettled in TanStack's order,
// optional retries, scopes that serialise, pause offline and resume on
// reconnect before queries refetch, and Invalidates, which invalidates keys
// only when the last mutation touching them settles.
//
// Dehydrate and Hydrate move successful queries and paused mutations
// through JSON; Persist keeps them in a Storage (MemoryStorage, or a
// WebStorage in the browser) so that a reload shows cached data at once.
//
// # Structural sharing, Go style
//
// New data equal to the cached data keeps the cached value and its
// Result.DataVersion, so nothing downstream sees a change. Equality is, in
// order: the response bytes when both values came through the JSON helper
// (FetchJSON fingerprints bodies and skips decoding an unchanged one, see
// Fingerprint and ErrNotModified), QueryOptions.Equal, or reflect.DeepEqual.
// NotifyOnChange limits which changes wake a listener (TanStack's
// notifyOnChangeProps).
//
// # Concurrency and notifications
//
// A Client is safe for concurrent use: its state sits behind one mutex, and
// listeners are never called with it held. Notifications are batched: each
// operation (or Batch) ends with one flush that hands a single delivery
// function to the Scheduler, which calls each changed observer's listeners
// once. In go-app the Scheduler is ctx.Dispatch; the default runs the
// delivery at once on the goroutine that ended the operation, which may be a
// query function's goroutine. Select, Equal, PlaceholderData, Retry,
// RetryDelay, RefetchFunc, filter predicates and UpdateQueryData's updater
// run with the client locked and must not call the Client; query and
// mutation functions, mutation callbacks and listeners run unlocked.
//
// # Time
//
// Every staleness, retry, polling and garbage-collection timer goes through
// the Clock; cachetest.Clock is a fake that fires due timers on Advance, for
// this package's tests and for the packages built on it.
//
// # The seam to the signal graph
//
// pkg/cache does not import pkg/state. An observer is a source for
// state.FromSource: Result() reads the current value from any goroutine and
// Subscribe(listener) returns an unsubscribe function, subscribing being what
// activates the observer. pkg/store builds the bridge:
//
//	sig := state.FromSource(g, todos.Result, todos.Subscribe)
//
// With NotifyOnChange: PropData (or by comparing Result.DataVersion), a
// component reading the data re-renders when, and only when, the data
// changes.
//
// # Browser
//
// The _js.go files hold the browser side: FetchTransport (fetch with
// AbortController; DefaultTransport under GOOS=js, so browser builds do not
// link net/http), BrowserFocus (visibilitychange), BrowserOnline
// (online/offline) and WebStorage (NewLocalStorage, NewSessionStorage).
// Each returns an error wrapping ErrUnavailable where the host lacks the API.
//
// # Deliberate differences from TanStack
//
//   - GCTime is a *time.Duration: nil means the 5-minute default, Dur(0)
//     removal on the next tick once unobserved, a negative value or Never
//     never (QUERY.md's "gcTime 0").
//   - StaleStatic and Never stand for staleTime 'static' and Infinity.
//   - A query function "returns undefined" only when it returns a nil
//     interface; ErrNoData then.
//   - Listeners of an unsubscribed observer's optimistic result are not told
//     about the initial "fetching" flip: Result already predicts it.
//   - Mutate-level callbacks fire for the latest call even when the
//     Mutation has no listeners.
//   - Optimistic updates belong in pkg/store's rebase model; onMutate and
//     rollback work here too for the classic recipe.
package cache
