package main

import (
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startApp serves cfg in this process (as run does) on a loopback port,
// with a SQLite file and a web directory of its own unless cfg names them.
func startApp(t *testing.T, cfg config) *app {
	t.Helper()
	dir := t.TempDir()
	if cfg.addr == "" {
		cfg.addr = "127.0.0.1:0"
	}
	if cfg.db == "" {
		cfg.db = filepath.Join(dir, "tandem.db")
	}
	if cfg.web == "" {
		cfg.web = dir
		require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>demo</h1>"), 0o644))
	}
	a, err := newApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- a.hs.Serve(a.ln) }()
	t.Cleanup(func() {
		require.NoError(t, a.shutdown(10*time.Second))
		assert.ErrorIs(t, <-served, http.ErrServerClosed)
		a.close()
	})
	return a
}

func (a *app) url(path string) string { return "http://" + a.ln.Addr().String() + path }

// Finding 3, for the routes beside the API: the static files answered any
// Host too.
func TestApp_everyRouteAnswersOnlyForAllowedHosts(t *testing.T) {
	a := startApp(t, config{hosts: []string{"demo.example.com"}})
	port := a.ln.Addr().String()[strings.LastIndex(a.ln.Addr().String(), ":"):]
	get := func(path, host string) (int, string) {
		req, err := http.NewRequest("GET", a.url(path), nil)
		require.NoError(t, err)
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	for _, path := range []string{"/", "/index.html", "/api/lists", "/api/ws"} {
		status, body := get(path, "rebind.attacker.example"+port)
		assert.Equal(t, http.StatusForbidden, status, path)
		assert.NotContains(t, body, "demo", path)
	}
	for _, host := range []string{"localhost" + port, "127.0.0.1" + port, "demo.example.com"} {
		status, body := get("/", host)
		assert.Equal(t, http.StatusOK, status, host)
		assert.Contains(t, body, "demo")
	}
}

// Issue 13: the binary failed at start when its working directory had no
// web folder. It serves the app built into it, from anywhere.
func TestApp_servesTheAppBuiltIntoTheBinaryFromAnyDirectory(t *testing.T) {
	cfg := config{addr: "127.0.0.1:0", db: filepath.Join(t.TempDir(), "tandem.db")} // no -web
	a, err := newApp(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	go func() { _ = a.hs.Serve(a.ln) }()
	t.Cleanup(func() {
		require.NoError(t, a.shutdown(10*time.Second))
		a.close()
	})
	res, err := http.Get(a.url("/"))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, string(body), "Tandem")

	// "/" itself is rendered per request when make site built the app in.
	res, err = http.Get(a.url("/index.html"))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotEmpty(t, res.Header.Get("ETag"), "embedded files have no time: a content hash stands in")

	res, err = http.Get(a.url("/.keep"))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
}

// Issue 16: -demo-users runs the signed-in demo: a sign-in at /api/session,
// every other route of the API for signed-in users only, and each user's
// data its own. Without it, the open demo, as before.
func TestApp_demoUsersRunsTheSignedInDemo(t *testing.T) {
	a := startApp(t, config{demoUsers: []string{"ada", "bob"}})
	do := func(method, path, user, body string) (int, string) {
		req, err := http.NewRequest(method, a.url(path), strings.NewReader(body))
		require.NoError(t, err)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if user != "" {
			req.Header.Set("Authorization", "Bearer "+user)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	status, body := do("GET", "/api/session", "", "")
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"users":["ada","bob"],"name":""}`, body)
	status, _ = do("POST", "/api/lists", "", `{"id":"b1","name":"Groceries"}`)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, body = do("POST", "/api/lists", "ada", `{"id":"b1","name":"Groceries"}`)
	assert.Equal(t, http.StatusCreated, status, body)
	status, _ = do("GET", "/api/lists/b1", "bob", "")
	assert.Equal(t, http.StatusForbidden, status, "ada's board")

	open := startApp(t, config{})
	res, err := http.Get(open.url("/api/session"))
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "the open demo has no sign-in")
}
