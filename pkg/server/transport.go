package server

import (
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Transport holds the limits of the HTTP server in front of a Server's
// handler: what net/http enforces against clients that stall, never read,
// or open connections by the thousand. The zero value of each field means
// its default; a negative MaxConns or MaxConnsPerAddr means no limit.
//
// None of the timeouts applies to WebSockets: an upgrade clears the
// connection's deadlines (net/http does so on Hijack), and a session bounds
// its own reads (HelloTimeout, HeartbeatTimeout) and writes (WriteTimeout).
type Transport struct {
	// ReadHeaderTimeout bounds reading a request's headers; 10 s by
	// default.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included — also a
	// body no handler reads (a GET, a 404, a 405), which net/http would
	// otherwise wait for before answering; 30 s by default. A mutation's
	// body is bounded by Options.BodyTimeout instead, from when its handler
	// starts reading it.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing an answer, counted from the end of the
	// request's headers: a client that does not read its answer is cut
	// off. 60 s by default: room for a mutation that waits for memory
	// (MutationMemory), then for its body (BodyTimeout), then commits.
	WriteTimeout time.Duration
	// IdleTimeout closes a kept-alive connection idle that long; 60 s by
	// default.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header section; 16 KiB by default
	// (net/http's own is 1 MiB). This API's requests carry a few short
	// headers; a session cookie or a bearer token fits well within. Over
	// it: 431.
	MaxHeaderBytes int
	// MaxConns is the most connections open at once, WebSockets included;
	// one more is closed at once (after a best-effort 503). 4096 by
	// default: keep it under the process's file descriptor limit.
	MaxConns int
	// MaxConnsPerAddr is the most connections open at once from one client
	// address (the TCP peer, an IPv6 address by its /64); 256 by default.
	// Behind a reverse proxy every connection comes from the proxy: set -1.
	MaxConnsPerAddr int
}

func (t Transport) withDefaults() Transport {
	dur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	dur(&t.ReadHeaderTimeout, 10*time.Second)
	dur(&t.ReadTimeout, 30*time.Second)
	dur(&t.WriteTimeout, 60*time.Second)
	dur(&t.IdleTimeout, 60*time.Second)
	num := func(n *int, v int) {
		if *n == 0 {
			*n = v
		}
	}
	num(&t.MaxHeaderBytes, 16<<10)
	num(&t.MaxConns, 4096)
	num(&t.MaxConnsPerAddr, 256)
	return t
}

// Defaults returns t with every zero field set to its default.
func (t Transport) Defaults() Transport { return t.withDefaults() }

// HTTPServer returns an http.Server for h with t's timeouts and header
// limit. Serve it on Listener's wrapping of the listening socket, so that
// the connection limits hold too.
func (t Transport) HTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	t = t.withDefaults()
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeaderTimeout,
		ReadTimeout:       t.ReadTimeout,
		WriteTimeout:      t.WriteTimeout,
		IdleTimeout:       t.IdleTimeout,
		MaxHeaderBytes:    t.MaxHeaderBytes,
	}
	if log != nil {
		hs.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	return hs
}

// Listener wraps ln so that at most MaxConns connections are open at once,
// and at most MaxConnsPerAddr from one address: a connection over a limit
// is answered 503 (best effort, without reading its request) and closed at
// once, so that the listener goes on accepting the clients within the
// limits. log, if not nil, hears about refused connections (the first, then
// every thousandth).
func (t Transport) Listener(ln net.Listener, log *slog.Logger) net.Listener {
	t = t.withDefaults()
	return &limitListener{Listener: ln, max: t.MaxConns, perAddr: t.MaxConnsPerAddr, log: log, byAddr: make(map[string]int)}
}

type limitListener struct {
	net.Listener
	max, perAddr int
	log          *slog.Logger

	mu      sync.Mutex
	open    int
	byAddr  map[string]int
	refused int
}

// refusal is what a connection over a limit gets before it is closed.
const refusal = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\nContent-Type: text/plain\r\nContent-Length: 26\r\n\r\ntoo many open connections\n"

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := ""
		if host, _, err := net.SplitHostPort(c.RemoteAddr().String()); err == nil {
			addr = addrKey(host)
		}
		if l.admit(addr) {
			return &limitedConn{Conn: c, l: l, addr: addr}, nil
		}
		// A fresh socket's send buffer takes these few bytes at once: the
		// write never waits on the refused client.
		_, _ = c.Write([]byte(refusal))
		_ = c.Close()
	}
}

func (l *limitListener) admit(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if (l.max >= 0 && l.open >= l.max) || (l.perAddr >= 0 && l.byAddr[addr] >= l.perAddr) {
		if l.refused%1000 == 0 && l.log != nil {
			l.log.Warn("connection refused: over the connection limits", "refused so far", l.refused+1, "open", l.open, "addr", addr)
		}
		l.refused++
		return false
	}
	l.open++
	l.byAddr[addr]++
	return true
}

func (l *limitListener) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byAddr[addr] <= 1 {
		delete(l.byAddr, addr)
	} else {
		l.byAddr[addr]--
	}
}

// A limitedConn gives its slot back when it is closed, once.
type limitedConn struct {
	net.Conn
	l    *limitListener
	addr string
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}
