//go:build js

package cache

import (
	"context"
	"errors"
	"runtime"
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shim installs v as globalThis[name] for the test.
func shim(t *testing.T, name string, v js.Value) {
	t.Helper()
	g := js.Global()
	old := g.Get(name)
	g.Set(name, v)
	t.Cleanup(func() {
		if old.IsUndefined() {
			g.Delete(name)
		} else {
			g.Set(name, old)
		}
	})
}

func TestBrowserAPIsMissingInNodeAreClearErrors(t *testing.T) {
	_, err := NewLocalStorage()
	assert.ErrorIs(t, err, ErrUnavailable)
	_, err = NewSessionStorage()
	assert.ErrorIs(t, err, ErrUnavailable)
	_, _, err = BrowserFocus()
	assert.ErrorIs(t, err, ErrUnavailable)
	_, _, err = BrowserOnline()
	assert.ErrorIs(t, err, ErrUnavailable)
}

// jsEval builds a value from JavaScript source, so that shims run no Go
// callbacks (a JavaScript exception thrown inside a Go callback would not
// unwind cleanly).
func jsEval(src string) js.Value { return js.Global().Get("Function").New(src).Invoke() }

func TestWebStorageThroughAShim(t *testing.T) {
	for name, open := range map[string]func() (*WebStorage, error){
		"localStorage":   NewLocalStorage,
		"sessionStorage": NewSessionStorage,
	} {
		t.Run(name, func(t *testing.T) {
			shim(t, name, jsEval(`const d = new Map(); return {
				getItem: k => d.has(k) ? d.get(k) : null,
				setItem: (k, v) => { if (k === "full") throw new Error("QuotaExceededError"); d.set(k, String(v)) },
				removeItem: k => { d.delete(k) },
			}`))
			s, err := open()
			require.NoError(t, err)
			_, err = s.Get("k")
			assert.ErrorIs(t, err, ErrNotFound)
			require.NoError(t, s.Set("k", []byte(`{"a":1}`)))
			got, err := s.Get("k")
			require.NoError(t, err)
			assert.Equal(t, `{"a":1}`, string(got))
			assert.Equal(t, "{\"a\":1}", js.Global().Get(name).Call("getItem", "k").String(),
				"the value lives in %s", name)
			require.NoError(t, s.Remove("k"))
			_, err = s.Get("k")
			assert.ErrorIs(t, err, ErrNotFound)
			err = s.Set("full", []byte("x"))
			assert.ErrorContains(t, err, name, "a throwing setItem is an error, not a panic")
		})
	}
}

func TestBrowserFocusFollowsVisibility(t *testing.T) {
	doc := jsEval(`return {visibilityState: "visible", handlers: {},
		addEventListener(t, h) { this.handlers[t] = h },
		removeEventListener(t) { delete this.handlers[t] }}`)
	shim(t, "document", doc)
	fm, release, err := BrowserFocus()
	require.NoError(t, err)
	calls := 0
	defer fm.Subscribe(func() { calls++ })()
	assert.True(t, fm.Focused())
	doc.Set("visibilityState", "hidden")
	doc.Get("handlers").Get("visibilitychange").Invoke()
	assert.False(t, fm.Focused())
	assert.Equal(t, 1, calls)
	release()
	assert.True(t, doc.Get("handlers").Get("visibilitychange").IsUndefined())
}

func TestBrowserOnlineFollowsEvents(t *testing.T) {
	win := jsEval(`const h = {}; return {handlers: h,
		add(t, f) { h[t] = f }, remove(t) { delete h[t] }}`)
	shim(t, "window", js.Global())
	shim(t, "addEventListener", win.Get("add"))
	shim(t, "removeEventListener", win.Get("remove"))
	om, release, err := BrowserOnline()
	require.NoError(t, err)
	assert.True(t, om.Online())
	win.Get("handlers").Get("offline").Invoke()
	assert.False(t, om.Online())
	win.Get("handlers").Get("online").Invoke()
	assert.True(t, om.Online())
	release()
	assert.Equal(t, 0, js.Global().Get("Object").Call("keys", win.Get("handlers")).Length())
}

func TestFetchTransportWithNodeFetch(t *testing.T) {
	ft, err := NewFetchTransport()
	require.NoError(t, err, "Node 20 has fetch")
	resp, err := ft.RoundTrip(context.Background(), &Request{Method: "GET", URL: `data:application/json,{"a":1}`})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, `{"a":1}`, string(resp.Body))
	assert.Equal(t, "application/json", resp.Header["content-type"])
}

func TestFetchTransportStatusHeadersBodyAndAbort(t *testing.T) {
	f := jsEval(`let sent, last; return {
		sent: () => sent,
		url: () => String(last),
		fetch: async (url, init) => {
			sent = init; last = url;
			if (url === "/hang") return new Promise((_, reject) =>
				init.signal.addEventListener("abort", () => reject(new Error("The operation was aborted"))));
			if (url === "/throw") throw new TypeError("Failed to fetch");
			return new Response("teapot body", {status: 418, headers: {"X-Thing": "yes"}});
		}}`)
	ft, err := newFetchTransport(f.Get("fetch"))
	require.NoError(t, err)

	resp, err := ft.RoundTrip(context.Background(), &Request{Method: "POST", URL: "/tea", Header: map[string]string{"content-type": "application/json"}, Body: []byte(`{"x":1}`)})
	require.NoError(t, err)
	assert.Equal(t, 418, resp.Status)
	assert.Equal(t, "yes", resp.Header["x-thing"])
	assert.Equal(t, "teapot body", string(resp.Body))
	sent := f.Call("sent")
	assert.Equal(t, "POST", sent.Get("method").String())
	assert.Equal(t, "application/json", sent.Get("headers").Get("content-type").String())
	assert.Equal(t, 7, sent.Get("body").Get("length").Int())

	_, err = (&REST{Transport: ft}).Do(context.Background(), "GET", "/tea", nil)
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 418, he.Status)

	_, err = ft.RoundTrip(context.Background(), &Request{Method: "GET", URL: "/throw"})
	assert.ErrorContains(t, err, "Failed to fetch")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := ft.RoundTrip(ctx, &Request{Method: "GET", URL: "/hang"})
		done <- err
	}()
	for f.Call("url").String() != "/hang" {
		runtime.Gosched() // until the fetch is in flight
	}
	cancel()
	assert.True(t, errors.Is(<-done, context.Canceled), "abort returns the context's error")
	assert.True(t, f.Call("sent").Get("signal").Get("aborted").Bool(), "the AbortController fired")
}

func TestFetchTransportRefusesMissingFetch(t *testing.T) {
	_, err := newFetchTransport(js.Undefined())
	assert.ErrorIs(t, err, ErrUnavailable)
}
