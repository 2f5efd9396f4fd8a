package cache

import (
	"context"
	"math"
	"time"
)

// Durations with a meaning of their own in options.
const (
	// Never, as a StaleTime, keeps data fresh until invalidated (TanStack's
	// Infinity); as a GCTime it keeps an unobserved query forever.
	Never time.Duration = math.MaxInt64
	// StaleStatic, as a StaleTime, keeps data fresh for ever: invalidation,
	// RefetchQueries and RefetchAlways-on-mount leave it alone (TanStack's
	// staleTime 'static').
	StaleStatic time.Duration = math.MinInt64
	// DefaultGCTime is how long an unobserved query or a settled mutation
	// without observers stays cached when GCTime is nil.
	DefaultGCTime = 5 * time.Minute
)

// NetworkMode says when fetches may run with respect to the OnlineSource.
type NetworkMode uint8

const (
	// NetworkOnline (the default) runs a fetch only while online; offline,
	// the fetch is paused and its function not called until reconnect.
	NetworkOnline NetworkMode = iota
	// NetworkAlways runs fetches regardless of the network state.
	NetworkAlways
	// NetworkOfflineFirst runs the first attempt regardless and pauses
	// retries while offline.
	NetworkOfflineFirst
)

// Refetch says whether a trigger (mount, window focus, reconnect) refetches a
// query.
type Refetch uint8

const (
	// RefetchIfStale (the default) refetches when the data is stale.
	RefetchIfStale Refetch = iota
	// RefetchAlways refetches even fresh data (never StaleStatic data).
	RefetchAlways
	// RefetchNever does not refetch on the trigger.
	RefetchNever
)

// Trigger names what asks an observer to refetch, for RefetchFunc.
type Trigger uint8

// The triggers of RefetchFunc.
const (
	TriggerMount Trigger = iota
	TriggerWindowFocus
	TriggerReconnect
)

// Prop is a bit set naming parts of a Result, for NotifyOnChange.
type Prop uint32

// The parts of a Result an observer can be told about.
const (
	PropStatus Prop = 1 << iota
	PropFetchStatus
	PropData // Data, HasData, DataVersion
	PropError
	PropDataUpdatedAt
	PropErrorUpdatedAt
	PropFailure // FailureCount, FailureReason
	PropIsStale
	PropIsPlaceholderData
	PropIsFetchedAfterMount
	PropPages // HasNextPage and the other infinite-query fields
	// PropAll is every part: the default.
	PropAll Prop = 1<<iota - 1
)

// A RetryFunc decides whether to retry after failureCount failed attempts
// (counting the one that just failed from 0: the first call has 0) with err.
type RetryFunc func(failureCount int, err error) bool

// A RetryDelayFunc returns the pause before the next attempt, given the same
// arguments as the RetryFunc.
type RetryDelayFunc func(failureCount int, err error) time.Duration

// QueryOptions configure a query and the observers of it. The zero value of
// every field means its default, so options merge: the Client's
// DefaultQueryOptions, then SetQueryDefaults of matching keys in the order
// they were set, then these. Fields marked (observer) apply to an Observer
// and are ignored by the imperative functions.
type QueryOptions[T any] struct {
	// Key names the query; required.
	Key Key
	// Fn fetches the data. Its context is cancelled when the fetch is
	// cancelled or the attempt times out; the function should return then.
	// It runs on its own goroutine; a panic becomes a *PanicError.
	Fn func(ctx context.Context, key Key) (T, error)
	// StaleTime is how long data stays fresh after it was fetched or set:
	// 0 (default) means stale at once, Never means until invalidated,
	// StaleStatic means for ever.
	StaleTime time.Duration
	// GCTime is how long the query stays cached once it has no observers
	// and no fetch: nil means DefaultGCTime, 0 means removal on the next
	// tick, Never or a negative value means never. A query uses the longest
	// GCTime it was ever given.
	GCTime *time.Duration
	// Retry decides whether a failed attempt is retried; nil means three
	// retries for observers (none when ClientOptions.Server is set) and no
	// retry for Fetch, Prefetch and EnsureData.
	Retry RetryFunc
	// RetryDelay returns the pause before a retry; nil means
	// DefaultRetryDelay.
	RetryDelay RetryDelayFunc
	// NetworkMode says when fetches run; default NetworkOnline.
	NetworkMode NetworkMode
	// Timeout bounds each attempt: past it the attempt's context is
	// cancelled and the attempt fails with ErrTimeout, even if the function
	// has not returned. 0 means no limit.
	Timeout time.Duration
	// Equal reports whether new data equals the cached data, which is then
	// kept (Go's structural sharing: nothing downstream sees a change).
	// Nil means reflect.DeepEqual; use NeverEqual to always replace.
	Equal func(a, b T) bool
	// InitialData, when it returns true, seeds a query that is not cached
	// yet with real data, updated at InitialDataUpdatedAt (zero: now).
	InitialData          func() (T, bool)
	InitialDataUpdatedAt time.Time
	// Meta is passed through untouched, visible in QueryInfo.
	Meta map[string]any

	// Disabled stops the observer fetching by itself (observer).
	Disabled bool
	// RefetchOnMount, RefetchOnWindowFocus and RefetchOnReconnect say what
	// the triggers do (observer); RefetchFunc, when set, decides instead of
	// them, per trigger and query.
	RefetchOnMount       Refetch
	RefetchOnWindowFocus Refetch
	RefetchOnReconnect   Refetch
	RefetchFunc          func(t Trigger, q QueryInfo) Refetch
	// RefetchInterval polls while the observer is subscribed (observer); 0
	// means no polling. Polls skip while the window is unfocused unless
	// RefetchIntervalInBackground.
	RefetchInterval             time.Duration
	RefetchIntervalInBackground bool
	// NoRetryOnMount stops a query in error state from refetching on mount
	// (observer).
	NoRetryOnMount bool
	// PlaceholderData supplies data to show while the query is pending with
	// no data (observer); it is never cached. prev is the data of the query
	// this observer showed before (for example the previous page), ok false
	// when there is none. See KeepPreviousData.
	PlaceholderData func(prev T, ok bool) (T, bool)
	// NotifyOnChange limits the listener calls to changes of these parts of
	// the Result (observer); 0 means PropAll.
	NotifyOnChange Prop
}

// Dur returns a pointer to d, for QueryOptions.GCTime and MutationOptions.GCTime.
func Dur(d time.Duration) *time.Duration { return &d }

// KeepPreviousData is a PlaceholderData that shows the previous query's data
// while the next one loads: paginated queries keep the last page on screen.
func KeepPreviousData[T any](prev T, ok bool) (T, bool) { return prev, ok }

// NeverEqual is an Equal that never finds data equal: every fetch replaces
// the cached value (TanStack's structuralSharing: false).
func NeverEqual[T any](a, b T) bool { return false }

// RetryCount returns a RetryFunc allowing n retries.
func RetryCount(n int) RetryFunc {
	return func(failures int, _ error) bool { return failures < n }
}

// NoRetry is a RetryFunc that never retries.
func NoRetry(int, error) bool { return false }

// DefaultRetryDelay is TanStack's exponential back-off: min(1s·2ⁿ, 30s)
// after n failed retries.
func DefaultRetryDelay(failureCount int, _ error) time.Duration {
	if failureCount >= 5 {
		return 30 * time.Second
	}
	return min(time.Second<<failureCount, 30*time.Second)
}

// Defaults are the untyped query options that SetQueryDefaults and
// ClientOptions.DefaultQueryOptions give to every matching query. Zero
// fields leave the default alone. Fn, when set, serves queries without their
// own function: it must return data of the type the query's users expect.
type Defaults struct {
	Fn                   func(ctx context.Context, key Key) (any, error)
	StaleTime            time.Duration
	GCTime               *time.Duration
	Retry                RetryFunc
	RetryDelay           RetryDelayFunc
	NetworkMode          NetworkMode
	Timeout              time.Duration
	RefetchOnMount       Refetch
	RefetchOnWindowFocus Refetch
	RefetchOnReconnect   Refetch
	RefetchInterval      time.Duration
}

// config is the untyped, merged form of QueryOptions that the cache works
// with. Every func is wrapped by the typed layer.
type config struct {
	key         Key
	fn          func(fc *fetchContext) (any, error)
	staleTime   time.Duration
	gcTime      *time.Duration
	retry       RetryFunc
	retryDelay  RetryDelayFunc
	networkMode NetworkMode
	timeout     time.Duration
	equal       func(a, b any) bool
	initial     func() (any, bool)
	initialAt   time.Time
	meta        map[string]any

	disabled       bool
	onMount        Refetch
	onFocus        Refetch
	onReconnect    Refetch
	refetchFunc    func(Trigger, QueryInfo) Refetch
	interval       time.Duration
	intervalInBg   bool
	noRetryOnMount bool
	placeholder    func(prev any, ok bool) (any, bool)
	selectFn       func(any) (any, error)
	selectEqual    func(a, b any) bool
	notify         Prop
	infinite       *infiniteBehavior
	imperative     bool // Fetch/Prefetch/EnsureData: no retry by default
}

func (d *Defaults) applyTo(c *config) {
	if d.Fn != nil && c.fn == nil {
		fn := d.Fn
		c.fn = func(fc *fetchContext) (any, error) { return fn(fc, fc.key) }
	}
	if d.StaleTime != 0 && c.staleTime == 0 {
		c.staleTime = d.StaleTime
	}
	if d.GCTime != nil && c.gcTime == nil {
		c.gcTime = d.GCTime
	}
	if d.Retry != nil && c.retry == nil {
		c.retry = d.Retry
	}
	if d.RetryDelay != nil && c.retryDelay == nil {
		c.retryDelay = d.RetryDelay
	}
	if d.NetworkMode != 0 && c.networkMode == 0 {
		c.networkMode = d.NetworkMode
	}
	if d.Timeout != 0 && c.timeout == 0 {
		c.timeout = d.Timeout
	}
	if d.RefetchOnMount != 0 && c.onMount == 0 {
		c.onMount = d.RefetchOnMount
	}
	if d.RefetchOnWindowFocus != 0 && c.onFocus == 0 {
		c.onFocus = d.RefetchOnWindowFocus
	}
	if d.RefetchOnReconnect != 0 && c.onReconnect == 0 {
		c.onReconnect = d.RefetchOnReconnect
	}
	if d.RefetchInterval != 0 && c.interval == 0 {
		c.interval = d.RefetchInterval
	}
}

// gcDuration resolves a GCTime: -1 means never.
func gcDuration(d *time.Duration) time.Duration {
	switch {
	case d == nil:
		return DefaultGCTime
	case *d < 0 || *d == Never:
		return -1
	default:
		return *d
	}
}

func (c *config) refetchOn(t Trigger, q *query) Refetch {
	if c.refetchFunc != nil {
		return c.refetchFunc(t, q.info())
	}
	switch t {
	case TriggerMount:
		return c.onMount
	case TriggerWindowFocus:
		return c.onFocus
	default:
		return c.onReconnect
	}
}
