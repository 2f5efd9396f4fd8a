//go:build !js

package cache_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

func TestHTTPTransportOverLoopback(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-Method", r.Method)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b)
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte("short and stout"))
		case "/hang":
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	defer close(block)
	api := &cache.REST{BaseURL: srv.URL}

	got, err := cache.FetchJSON[map[string]int](context.Background(), api, "PUT", "/echo", map[string]int{"a": 1})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"a": 1}, got)

	resp, err := cache.DefaultTransport().RoundTrip(context.Background(), &cache.Request{Method: "POST", URL: srv.URL + "/echo", Body: []byte("x")})
	require.NoError(t, err)
	assert.Equal(t, "POST", resp.Header["x-method"], "header names are lower case")
	assert.Equal(t, "x", string(resp.Body))

	_, err = cache.FetchJSON[string](context.Background(), api, "GET", "/teapot", nil)
	var he *cache.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusTeapot, he.Status)
	assert.Equal(t, "short and stout", string(he.Body))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := api.Do(ctx, "GET", "/hang", nil); done <- err }()
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled, "abort")

	small := &cache.HTTPTransport{MaxBody: 2}
	_, err = small.RoundTrip(context.Background(), &cache.Request{Method: "POST", URL: srv.URL + "/echo", Body: []byte("abc")})
	assert.ErrorIs(t, err, cache.ErrBodyTooLarge)
}
