package server

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// A Rate is a token bucket: PerSecond tokens come back each second, up to
// Burst. The zero value means the quota's default; a negative PerSecond
// means no limit.
type Rate struct {
	PerSecond float64
	Burst     float64
}

// Quotas bound what one caller can make a Server do. Each quota holds per
// client address (Options.ClientAddr) and, for an authenticated caller, per
// principal too: a request must be within both, so that neither many
// addresses of one user nor many users behind one address get around it.
// Callers without a principal (the anonymous principal) are limited by
// address alone. A zero field takes its default; a negative one means no
// limit.
//
// Over a quota, REST answers 429 with code rate_limited and a Retry-After
// header (not recorded: the client retries the same mutation later), and a
// WebSocket closes with 4029 (the client reconnects with backoff) or, before
// the upgrade, gets 429.
type Quotas struct {
	// Mutations is the rate of REST mutations, counted before the body is
	// read; 50 a second, burst 500 by default.
	Mutations Rate
	// NewClients is the rate of clientIDs recorded for the first time (each
	// one is a dedup record kept for ClientRetention); 12 a minute, burst
	// 30 by default. A mutation over it gets 429 and is not recorded.
	NewClients Rate
	// DedupBytes is the rate, in bytes, of recorded answers (the dedup
	// records of mutations sent with a clientID); 256 KiB a second, burst
	// 16 MiB by default. A mutation arriving while it is spent gets 429.
	DedupBytes Rate
	// Subscribes is the rate of sub messages, each a snapshot or a replay
	// to read (a restart of a running subscription included); 5 a second,
	// burst 100 by default. Over it the connection closes with 4029.
	Subscribes Rate
	// Sessions is the most WebSocket connections at once, those still
	// waiting for hello included; 128 by default.
	Sessions int
	// Handshakes is the most WebSocket connections per address still
	// waiting for hello; 16 by default.
	Handshakes int
	// MaxHandshakes is the most WebSocket connections server-wide still
	// waiting for hello; 1024 by default.
	MaxHandshakes int
}

func (q Quotas) withDefaults() Quotas {
	rate := func(r *Rate, perSecond, burst float64) {
		if r.PerSecond == 0 {
			r.PerSecond = perSecond
		}
		if r.Burst <= 0 {
			r.Burst = burst
		}
	}
	rate(&q.Mutations, 50, 500)
	rate(&q.NewClients, 0.2, 30)
	rate(&q.DedupBytes, 256<<10, 16<<20)
	rate(&q.Subscribes, 5, 100)
	count := func(n *int, d int) {
		if *n == 0 {
			*n = d
		}
	}
	count(&q.Sessions, 128)
	count(&q.Handshakes, 16)
	count(&q.MaxHandshakes, 1024)
	return q
}

// Unlimited returns Quotas without any limit: for benchmarks and trusted
// callers (a server behind an authenticating gateway that limits itself).
func Unlimited() Quotas {
	no := Rate{PerSecond: -1}
	return Quotas{Mutations: no, NewClients: no, DedupBytes: no, Subscribes: no, Sessions: -1, Handshakes: -1, MaxHandshakes: -1}
}

// quotas is the state of a Server's Quotas.
type quotas struct {
	mutations, newClients, dedupBytes, subscribes *buckets
	sessions, handshakes, allHandshakes           *counter
}

func newQuotas(q Quotas, clock Clock) *quotas {
	return &quotas{
		mutations:     newBuckets(q.Mutations, clock),
		newClients:    newBuckets(q.NewClients, clock),
		dedupBytes:    newBuckets(q.DedupBytes, clock),
		subscribes:    newBuckets(q.Subscribes, clock),
		sessions:      newCounter(q.Sessions),
		handshakes:    newCounter(q.Handshakes),
		allHandshakes: newCounter(q.MaxHandshakes),
	}
}

// maxKeys bounds the keys a buckets or counter tracks: past it, idle
// entries (full buckets, zero counts) are dropped.
const maxKeys = 1 << 16

// buckets is one Rate, with a token bucket per key. Safe for concurrent
// use.
type buckets struct {
	rate  Rate
	clock Clock
	mu    sync.Mutex
	m     map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newBuckets(r Rate, clock Clock) *buckets {
	return &buckets{rate: r, clock: clock, m: make(map[string]*bucket)}
}

func (b *buckets) unlimited() bool { return b.rate.PerSecond < 0 }

// get returns the bucket of key refilled to now; b.mu is held.
func (b *buckets) get(key string, now time.Time) *bucket {
	k := b.m[key]
	if k == nil {
		if len(b.m) >= maxKeys {
			b.sweep(now)
		}
		k = &bucket{tokens: b.rate.Burst, at: now}
		b.m[key] = k
		return k
	}
	if d := now.Sub(k.at); d > 0 {
		k.tokens = min(b.rate.Burst, k.tokens+d.Seconds()*b.rate.PerSecond)
		k.at = now
	}
	return k
}

// sweep drops the buckets that are full again (idle callers), or every
// bucket if that is not enough: quotas then start afresh, which is lenient,
// never wrong.
func (b *buckets) sweep(now time.Time) {
	for key, k := range b.m {
		if k.tokens+now.Sub(k.at).Seconds()*b.rate.PerSecond >= b.rate.Burst {
			delete(b.m, key)
		}
	}
	if len(b.m) >= maxKeys {
		clear(b.m)
	}
}

// take takes n tokens from the bucket of every key, or none if one of them
// has fewer than n; then it returns false and how long until it would have
// enough.
func (b *buckets) take(keys []string, n float64) (bool, time.Duration) {
	if b.unlimited() {
		return true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	var wait time.Duration
	for _, key := range keys {
		if k := b.get(key, now); k.tokens < n {
			wait = max(wait, b.refillTime(n-k.tokens))
		}
	}
	if wait > 0 {
		return false, wait
	}
	for _, key := range keys {
		b.get(key, now).tokens -= n
	}
	return true, 0
}

// positive reports whether every key's bucket holds a token, and if not,
// how long until it does: the check before work whose cost is known only
// afterwards (debit).
func (b *buckets) positive(keys []string) (bool, time.Duration) {
	if b.unlimited() {
		return true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	var wait time.Duration
	for _, key := range keys {
		if k := b.get(key, now); k.tokens <= 0 {
			wait = max(wait, b.refillTime(1-k.tokens))
		}
	}
	return wait == 0, wait
}

// debit takes n tokens from every key's bucket after the fact, down to
// -Burst at most.
func (b *buckets) debit(keys []string, n float64) {
	if b.unlimited() || n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	for _, key := range keys {
		k := b.get(key, now)
		k.tokens = max(k.tokens-n, -b.rate.Burst)
	}
}

func (b *buckets) refillTime(missing float64) time.Duration {
	if b.rate.PerSecond == 0 {
		return time.Hour
	}
	return time.Duration(math.Ceil(missing/b.rate.PerSecond*1e3)) * time.Millisecond
}

// counter counts what each key holds at once, up to limit. Safe for
// concurrent use.
type counter struct {
	limit int
	mu    sync.Mutex
	m     map[string]int
}

func newCounter(limit int) *counter { return &counter{limit: limit, m: make(map[string]int)} }

// acquire counts one more for every key, or for none if one of them is at
// the limit.
func (c *counter) acquire(keys []string) bool {
	if c.limit < 0 {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, key := range keys {
		if c.m[key] >= c.limit {
			return false
		}
	}
	for _, key := range keys {
		c.m[key]++
	}
	return true
}

// release gives back what acquire counted.
func (c *counter) release(keys []string) {
	if c.limit < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, key := range keys {
		if c.m[key] <= 1 {
			delete(c.m, key)
		} else {
			c.m[key]--
		}
	}
}

// callerKeys returns the quota keys of a caller: its address, and its
// principal if it has one.
func callerKeys(addr, principal string) []string {
	keys := []string{"a " + addr}
	if principal != "" {
		keys = append(keys, "p "+principal)
	}
	return keys
}

// RemoteAddr returns the client address of r for quotas: the IP of
// r.RemoteAddr, an IPv6 address cut to its /64 (one host's usual share),
// or "" when there is none. It is the default Options.ClientAddr.
func RemoteAddr(r *http.Request) string {
	if r == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return addrKey(host)
}

// addrKey normalises an IP for a quota key; "" if s is not an IP.
func addrKey(s string) string {
	ip, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// ForwardedAddr returns a ClientAddr for a server behind a reverse proxy:
// the last address in the request header name (say X-Forwarded-For, which
// a proxy appends the address it saw to, or X-Real-IP), or RemoteAddr when
// the header holds none. Use it only behind a proxy that sets the header:
// anyone can send it.
func ForwardedAddr(name string) func(r *http.Request) string {
	return func(r *http.Request) string {
		if r == nil {
			return ""
		}
		vals := r.Header.Values(name)
		for i := len(vals) - 1; i >= 0; i-- {
			v := vals[i]
			if j := strings.LastIndexByte(v, ','); j >= 0 {
				v = v[j+1:]
			}
			if k := addrKey(v); k != "" {
				return k
			}
			if strings.TrimSpace(v) != "" {
				break // the proxy's own entry is not an IP: trust nothing before it
			}
		}
		return RemoteAddr(r)
	}
}
