//go:build !js

package cache

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// HTTPTransport is the native Transport, over net/http.
type HTTPTransport struct {
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
	// MaxBody caps the response body; 0 means DefaultMaxBody.
	MaxBody int64
}

// DefaultTransport returns the platform's Transport: HTTPTransport natively,
// FetchTransport in the browser.
func DefaultTransport() Transport { return &HTTPTransport{} }

// RoundTrip implements Transport.
func (t *HTTPTransport) RoundTrip(ctx context.Context, req *Request) (*Response, error) {
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, fmt.Errorf("cache: %s %s: %w", req.Method, req.URL, err)
	}
	for k, v := range req.Header {
		hr.Header.Set(k, v)
	}
	client := t.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cache: %s %s: %w", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	limit := t.MaxBody
	if limit == 0 {
		limit = DefaultMaxBody
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("cache: %s %s: read body: %w", req.Method, req.URL, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("cache: %s %s: %w", req.Method, req.URL, ErrBodyTooLarge)
	}
	h := make(map[string]string, len(resp.Header))
	for k, v := range resp.Header {
		h[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return &Response{Status: resp.StatusCode, Header: h, Body: b}, nil
}
