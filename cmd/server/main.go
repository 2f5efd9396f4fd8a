// Command server runs the Tandem demo backend: the REST API and WebSocket
// stream of PROTOCOL.md for the demo's lists and todos, on embedded SQLite,
// plus the web app's static files.
//
// Flags, each also read from the environment (a flag given on the command
// line wins):
//
//	-addr     TANDEM_ADDR     listen address (default 127.0.0.1:8080)
//	-db       TANDEM_DB       SQLite file, created on first start (default tandem.db);
//	                          a postgres:// URL selects PostgreSQL (a later issue)
//	-origins  TANDEM_ORIGINS  extra allowed WebSocket origins, comma-separated
//	                          host patterns (e.g. "app.example.com,*.example.org")
//	-web      TANDEM_WEB      directory of static files (default web)
//	-debug    TANDEM_DEBUG    log every request
//
// SIGINT or SIGTERM shut it down gracefully: in-flight requests and
// mutations finish, WebSocket clients get close 1001 and reconnect.
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
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tandemkit/tandem/examples/todo/backend"
	"github.com/tandemkit/tandem/pkg/server"
)

// config is the parsed command line.
type config struct {
	addr    string
	db      string
	origins []string
	web     string
	debug   bool
}

// parseConfig reads flags over environment defaults.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var origins string
	fs.StringVar(&c.addr, "addr", env("TANDEM_ADDR", "127.0.0.1:8080"), "listen address (TANDEM_ADDR)")
	fs.StringVar(&c.db, "db", env("TANDEM_DB", "tandem.db"), "SQLite file, or a postgres:// URL (TANDEM_DB)")
	fs.StringVar(&origins, "origins", env("TANDEM_ORIGINS", ""), "extra allowed WebSocket origins, comma-separated (TANDEM_ORIGINS)")
	fs.StringVar(&c.web, "web", env("TANDEM_WEB", "web"), "directory of static files (TANDEM_WEB)")
	debug, _ := strconv.ParseBool(env("TANDEM_DEBUG", "false"))
	fs.BoolVar(&c.debug, "debug", debug, "log every request (TANDEM_DEBUG)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.origins = append(c.origins, o)
		}
	}
	return c, nil
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

// run serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, cfg config, log *slog.Logger) error {
	if strings.HasPrefix(cfg.db, "postgres://") || strings.HasPrefix(cfg.db, "postgresql://") {
		return errors.New("PostgreSQL is not supported yet (a later issue adds it); use a SQLite file path")
	}
	store, err := server.OpenSQLite(cfg.db, server.SQLiteOptions{})
	if err != nil {
		return err
	}
	defer store.Close()

	api := server.New(store, server.Options{Logger: log, OriginPatterns: cfg.origins})
	if err := backend.Register(api); err != nil {
		return err
	}
	static, err := newStaticFiles(cfg.web)
	if err != nil {
		return fmt.Errorf("static files: %w", err)
	}
	defer static.Close()

	mux := http.NewServeMux()
	mux.Handle("/api/", api.Handler())
	mux.Handle("/", static)
	hs := &http.Server{
		Handler:           logRequests(log, mux),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "db", cfg.db, "web", cfg.web, "origins", strings.Join(cfg.origins, ","))

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Stop accepting and let in-flight requests (and their mutations)
	// finish, then close the WebSockets with 1001 and stop committing.
	err1 := hs.Shutdown(sctx)
	err2 := api.Shutdown(sctx)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
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
