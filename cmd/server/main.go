// Command server runs the Tandem demo backend: the REST API and WebSocket
// stream of PROTOCOL.md for the demo's lists and todos, on embedded SQLite or
// on PostgreSQL, plus the web app's static files. In the open demo, "/" is
// the board's page rendered with the server's data (see boardPage): the list
// shows before the WebAssembly has loaded, which then takes over from the
// same data.
//
// Flags, each also read from the environment (a flag given on the command
// line wins):
//
//	-addr                 TANDEM_ADDR                 listen address (default 127.0.0.1:8080)
//	-db                   TANDEM_DB                   SQLite file, created on first start (default tandem.db);
//	                                                  or a postgres:// (postgresql://) URL: PostgreSQL, whose
//	                                                  tables are created or migrated at start; any number of
//	                                                  instances may share one database
//	-retention            TANDEM_RETENTION            events kept per topic for clients that reconnect (default
//	                                                  10000); a client further behind gets a snapshot
//	-retention-age        TANDEM_RETENTION_AGE        also drop events older than this (e.g. 24h; default none)
//	-heartbeat            TANDEM_HEARTBEAT            interval of the WebSocket heartbeat (default 15s); a client
//	                                                  silent for twice that plus 5 s is closed
//	-hosts                TANDEM_HOSTS                host names the server answers for besides the loopback
//	                                                  names, comma-separated ("app.example.com,*.example.org",
//	                                                  or "*" behind a proxy that checks Host); any other Host
//	                                                  gets 403 on every route (DNS rebinding)
//	-origins              TANDEM_ORIGINS              extra allowed WebSocket origins, comma-separated
//	                                                  host patterns (e.g. "app.example.com,*.example.org")
//	-client-ip-header     TANDEM_CLIENT_IP_HEADER     behind a reverse proxy: the header it puts the client
//	                                                  address in (X-Forwarded-For, X-Real-IP), for the quotas
//	-read-header-timeout  TANDEM_READ_HEADER_TIMEOUT  time to read a request's headers (default 10s)
//	-read-timeout         TANDEM_READ_TIMEOUT         time to read a whole request (default 30s)
//	-write-timeout        TANDEM_WRITE_TIMEOUT        time to write an answer (default 60s)
//	-idle-timeout         TANDEM_IDLE_TIMEOUT         idle kept-alive connections close after it (default 60s)
//	-max-header-bytes     TANDEM_MAX_HEADER_BYTES     request header limit (default 16384)
//	-max-conns            TANDEM_MAX_CONNS            open connections at most, WebSockets included (default
//	                                                  4096, lowered to fit the file descriptor limit)
//	-max-conns-per-addr   TANDEM_MAX_CONNS_PER_ADDR   open connections per client address (default 256;
//	                                                  -1 behind a reverse proxy)
//	-shutdown-timeout     TANDEM_SHUTDOWN_TIMEOUT     the budget of a graceful stop (default 15s)
//	-web                  TANDEM_WEB                  a directory of static files served instead of the app
//	                                                  built into the binary (development)
//	-demo-users           TANDEM_DEMO_USERS           run the signed-in demo for these users, comma-separated
//	                                                  ("ada,bob,cy"): boards owned and shared, each user syncing
//	                                                  only what it may see (see backend.Demo; a name is enough
//	                                                  to sign in: a demo, not an identity provider). Without it,
//	                                                  the open demo: one anonymous user who sees everything
//	-debug                TANDEM_DEBUG                log every request
//
// The timeouts never apply to WebSockets. The quotas per client and the
// other limits of the API are pkg/server's defaults (see server.Quotas).
//
// On PostgreSQL every instance streams every instance's writes: put several
// behind a load balancer, on one database, and a client may reconnect to any
// of them (see server.PostgresBus). Each instance's quotas count what that
// instance sees.
//
// SIGINT or SIGTERM stop it within the shutdown budget: it stops accepting,
// lets in-flight requests finish for half the budget and then closes the
// connections still busy (a client that stalled), closes WebSockets with
// 1001 (clients reconnect; those that do not answer are cut), commits the
// mutations already queued, and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/pkg/server"
)

// config is the parsed command line. Zero limits mean pkg/server's
// defaults.
type config struct {
	addr            string
	db              string
	retention       int
	retentionAge    time.Duration
	heartbeat       time.Duration
	hosts           []string
	origins         []string
	clientIPHeader  string
	transport       server.Transport
	shutdownTimeout time.Duration
	web             string
	demoUsers       []string
	debug           bool
	quotas          server.Quotas // pkg/server's defaults; no flag sets them (the tests that seed many rows do)
	noPage          bool          // serve "/" as a static file in the open demo too (the benchmark's control); no flag
}

// defaultShutdownTimeout is the budget of a graceful stop.
const defaultShutdownTimeout = 15 * time.Second

// parseConfig reads flags over environment defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var envErr error
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	envDur := func(key string) time.Duration {
		v := getenv(key)
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			envErr = errors.Join(envErr, fmt.Errorf("%s: %w", key, err))
		}
		return d
	}
	envInt := func(key string) int {
		v := getenv(key)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			envErr = errors.Join(envErr, fmt.Errorf("%s: %w", key, err))
		}
		return n
	}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var hosts, origins, users string
	t := &c.transport
	fs.StringVar(&c.addr, "addr", env("TANDEM_ADDR", "127.0.0.1:8080"), "listen address (TANDEM_ADDR)")
	fs.StringVar(&c.db, "db", env("TANDEM_DB", "tandem.db"), "SQLite file, or a postgres:// URL (TANDEM_DB)")
	fs.IntVar(&c.retention, "retention", envInt("TANDEM_RETENTION"), "events kept per topic for reconnecting clients; 0 for 10000 (TANDEM_RETENTION)")
	fs.DurationVar(&c.retentionAge, "retention-age", envDur("TANDEM_RETENTION_AGE"), "also drop events older than this; 0 for none (TANDEM_RETENTION_AGE)")
	fs.DurationVar(&c.heartbeat, "heartbeat", envDur("TANDEM_HEARTBEAT"), "interval of the WebSocket heartbeat; 0 for 15s (TANDEM_HEARTBEAT)")
	fs.StringVar(&hosts, "hosts", env("TANDEM_HOSTS", ""), "host names served besides the loopback names, comma-separated; * for any (TANDEM_HOSTS)")
	fs.StringVar(&origins, "origins", env("TANDEM_ORIGINS", ""), "extra allowed WebSocket origins, comma-separated (TANDEM_ORIGINS)")
	fs.StringVar(&c.clientIPHeader, "client-ip-header", env("TANDEM_CLIENT_IP_HEADER", ""), "behind a reverse proxy: the header holding the client address, e.g. X-Forwarded-For (TANDEM_CLIENT_IP_HEADER)")
	fs.DurationVar(&t.ReadHeaderTimeout, "read-header-timeout", envDur("TANDEM_READ_HEADER_TIMEOUT"), "time to read a request's headers; 0 for 10s (TANDEM_READ_HEADER_TIMEOUT)")
	fs.DurationVar(&t.ReadTimeout, "read-timeout", envDur("TANDEM_READ_TIMEOUT"), "time to read a whole request; 0 for 30s (TANDEM_READ_TIMEOUT)")
	fs.DurationVar(&t.WriteTimeout, "write-timeout", envDur("TANDEM_WRITE_TIMEOUT"), "time to write an answer; 0 for 60s (TANDEM_WRITE_TIMEOUT)")
	fs.DurationVar(&t.IdleTimeout, "idle-timeout", envDur("TANDEM_IDLE_TIMEOUT"), "idle kept-alive connections close after it; 0 for 60s (TANDEM_IDLE_TIMEOUT)")
	fs.IntVar(&t.MaxHeaderBytes, "max-header-bytes", envInt("TANDEM_MAX_HEADER_BYTES"), "request header limit; 0 for 16384 (TANDEM_MAX_HEADER_BYTES)")
	fs.IntVar(&t.MaxConns, "max-conns", envInt("TANDEM_MAX_CONNS"), "open connections at most; 0 for 4096, -1 for no limit (TANDEM_MAX_CONNS)")
	fs.IntVar(&t.MaxConnsPerAddr, "max-conns-per-addr", envInt("TANDEM_MAX_CONNS_PER_ADDR"), "open connections per client address; 0 for 256, -1 for no limit (TANDEM_MAX_CONNS_PER_ADDR)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", envDur("TANDEM_SHUTDOWN_TIMEOUT"), "budget of a graceful stop; 0 for 15s (TANDEM_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.web, "web", env("TANDEM_WEB", ""), "directory of static files to serve instead of the app built into the binary, for development (TANDEM_WEB)")
	fs.StringVar(&users, "demo-users", env("TANDEM_DEMO_USERS", ""), "run the signed-in demo for these users, comma-separated, e.g. ada,bob,cy; a name is enough to sign in (TANDEM_DEMO_USERS)")
	debug, _ := strconv.ParseBool(env("TANDEM_DEBUG", "false"))
	fs.BoolVar(&c.debug, "debug", debug, "log every request (TANDEM_DEBUG)")
	if envErr != nil {
		return config{}, envErr
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.hosts, c.origins, c.demoUsers = list(hosts), list(origins), list(users)
	return c, nil
}

// list splits a comma-separated flag, dropping empty entries.
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(2)
	}
	level := slog.LevelInfo
	if cfg.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("server failed", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx is done, then shuts down within the budget.
func run(ctx context.Context, cfg config, log *slog.Logger) error {
	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	log.Info("listening", "addr", a.ln.Addr().String(), "db", redactDB(cfg.db), "web", cfg.web,
		"hosts", strings.Join(cfg.hosts, ","), "origins", strings.Join(cfg.origins, ","),
		"max-conns", a.transport.MaxConns, "max-conns-per-addr", a.transport.MaxConnsPerAddr)

	served := make(chan error, 1)
	go func() { served <- a.hs.Serve(a.ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if err := a.shutdown(cfg.shutdownTimeout); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// app is the demo server built from a config: the store, the API, the
// static files, and the HTTP server with its limits on a listening socket.
type app struct {
	log       *slog.Logger
	transport server.Transport // in effect
	store     server.Store
	bus       *server.PostgresBus // on PostgreSQL
	api       *server.Server
	static    *staticFiles
	page      *boardPage // "/" of the open demo; nil in the signed-in demo
	hs        *http.Server
	ln        net.Listener
}

func newApp(cfg config, log *slog.Logger) (_ *app, err error) {
	a := &app{log: log}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	opts := server.Options{Logger: log, AllowedHosts: cfg.hosts, OriginPatterns: cfg.origins,
		Retention: cfg.retention, RetentionAge: cfg.retentionAge, HeartbeatInterval: cfg.heartbeat, Quotas: cfg.quotas}
	if isPostgres(cfg.db) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		pg, err := server.OpenPostgres(ctx, cfg.db, server.PostgresOptions{})
		if err != nil {
			return nil, err
		}
		a.store = pg
		if a.bus, err = server.NewPostgresBus(ctx, pg, server.PostgresBusOptions{Logger: log}); err != nil {
			return nil, err
		}
		opts.Bus = a.bus
	} else {
		lite, err := server.OpenSQLite(cfg.db, server.SQLiteOptions{})
		if err != nil {
			return nil, err
		}
		a.store = lite
	}
	if cfg.clientIPHeader != "" {
		opts.ClientAddr = server.ForwardedAddr(cfg.clientIPHeader)
	}
	var demo *backend.Demo
	if len(cfg.demoUsers) > 0 {
		if demo, err = backend.NewDemo(cfg.demoUsers); err != nil {
			return nil, err
		}
		opts.Authenticate, opts.AuthenticateWS = demo.Authenticate, demo.AuthenticateWS
	}
	a.api = server.New(a.store, opts)
	if demo != nil {
		err = demo.RegisterBoards(a.api)
	} else {
		err = backend.Register(a.api)
	}
	if err != nil {
		return nil, err
	}
	if cfg.web == "" {
		a.static = embeddedSite()
	} else if a.static, err = newStaticFiles(cfg.web); err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", a.api.Handler())
	if demo != nil {
		mux.Handle("/api/session", demo.Sessions())
	}
	if demo == nil && !cfg.noPage {
		a.page = newBoardPage(a.static, a.api, log)
		mux.Handle("/", a.page)
	} else {
		mux.Handle("/", a.static)
	}
	t := fitFileLimit(cfg.transport.Defaults(), log)
	a.transport = t
	// Every route, static files included, answers only for allowed hosts.
	a.hs = t.HTTPServer(logRequests(log, a.api.CheckHost(mux)), log)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, err
	}
	a.ln = t.Listener(ln, log)
	return a, nil
}

// shutdown stops the server within budget (defaultShutdownTimeout if 0):
// no more connections; in-flight requests, and the mutations they queued,
// finish during the first half, then the connections still busy are
// closed (a stalled client gives up its claim on the budget there); then
// WebSockets get 1001 (cut if they do not close in time) and the queued
// mutations commit. It returns an error only if that last part could not
// end within the budget.
func (a *app) shutdown(budget time.Duration) error {
	if budget <= 0 {
		budget = defaultShutdownTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	hctx, hcancel := context.WithTimeout(ctx, budget/2)
	defer hcancel()
	if err := a.hs.Shutdown(hctx); err != nil {
		a.log.Warn("closing the connections still busy after half the shutdown budget", "err", err)
		_ = a.hs.Close()
	}
	return a.api.Shutdown(ctx)
}

// close releases what newApp opened; after shutdown, or on a failed start.
func (a *app) close() {
	if a.hs != nil {
		_ = a.hs.Close()
	} else if a.ln != nil {
		_ = a.ln.Close()
	}
	if a.api != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = a.api.Shutdown(ctx) // at once after shutdown: it ran already
		cancel()
	}
	if a.static != nil {
		_ = a.static.Close()
	}
	if a.bus != nil {
		_ = a.bus.Close()
	}
	if a.store != nil {
		_ = a.store.Close()
	}
}

// isPostgres reports whether db is a PostgreSQL URL rather than a file.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// redactDB returns db for the log, without the password of a URL.
func redactDB(db string) string {
	if !isPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// fdReserve is the file descriptors kept beside the connections: the
// database (a writer, readers, WAL and shared memory), static files, logs.
const fdReserve = 64

// fitConns lowers t.MaxConns (no limit included) so that the connections
// and fdReserve fit in limit open files: a process out of descriptors fails
// every accept and every file it opens, for every client.
func fitConns(t server.Transport, limit uint64) server.Transport {
	if room := int(min(limit, 1<<30)) - fdReserve; t.MaxConns < 0 || t.MaxConns > room {
		t.MaxConns = max(room, 1)
	}
	return t
}

// logRequests logs each request at debug level.
func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	if !log.Enabled(context.Background(), slog.LevelDebug) {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		h.ServeHTTP(rec, r)
		log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "dur", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController and the WebSocket hijack reach the
// underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
