package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Errors of the JSON helper.
var (
	// ErrDecode reports a response body that is not valid JSON for the
	// expected type.
	ErrDecode = errors.New("cache: malformed JSON")
	// ErrBodyTooLarge reports a response body over the transport's limit.
	ErrBodyTooLarge = errors.New("cache: response body too large")
)

// HTTPError is the error of a response with a status outside 2xx.
type HTTPError struct {
	Method string
	URL    string
	Status int
	// Body is the response body, for error details.
	Body []byte
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("cache: %s %s: status %d", e.Method, e.URL, e.Status)
}

// REST is a JSON REST endpoint for query and mutation functions. The zero
// value uses DefaultTransport and absolute URLs.
type REST struct {
	// Transport sends the requests; nil means DefaultTransport().
	Transport Transport
	// BaseURL is prefixed to every path.
	BaseURL string
	// Header is sent with every request.
	Header map[string]string
}

// Do sends method path with in encoded as JSON (when not nil) and returns
// the response body of a 2xx response. A 304 returns ErrNotModified; other
// statuses return an *HTTPError.
func (r *REST) Do(ctx context.Context, method, path string, in any) ([]byte, error) {
	req := &Request{Method: method, URL: r.BaseURL + path, Header: map[string]string{"accept": "application/json"}}
	for k, v := range r.Header {
		req.Header[strings.ToLower(k)] = v
	}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("cache: %s %s: encode body: %w", method, req.URL, err)
		}
		req.Body = b
		req.Header["content-type"] = "application/json"
	}
	t := r.Transport
	if t == nil {
		t = DefaultTransport()
	}
	resp, err := t.RoundTrip(ctx, req)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.Status == 304:
		return nil, ErrNotModified
	case resp.Status < 200 || resp.Status > 299:
		return nil, &HTTPError{Method: method, URL: req.URL, Status: resp.Status, Body: resp.Body}
	}
	return resp.Body, nil
}

// FetchJSON sends method path (with in as a JSON body when not nil) and
// decodes the JSON response into a T. Inside a query function it
// fingerprints the body: when the bytes equal those of the cached data it
// returns ErrNotModified without decoding, so an unchanged refetch costs a
// byte comparison and notifies nobody. A malformed body returns an error
// wrapping ErrDecode.
func FetchJSON[T any](ctx context.Context, r *REST, method, path string, in any) (T, error) {
	var zero T
	body, err := r.Do(ctx, method, path, in)
	if err != nil {
		return zero, err
	}
	if Fingerprint(ctx, body) {
		return zero, ErrNotModified
	}
	v, err := DecodeJSON[T](body)
	if err != nil {
		return zero, fmt.Errorf("%s %s%s: %w", method, r.BaseURL, path, err)
	}
	return v, nil
}

// GetJSON returns a query function that GETs the path built from the
// query's key by path and decodes the JSON body; see FetchJSON.
func GetJSON[T any](r *REST, path func(key Key) string) func(ctx context.Context, key Key) (T, error) {
	return func(ctx context.Context, key Key) (T, error) {
		return FetchJSON[T](ctx, r, "GET", path(key), nil)
	}
}

// DecodeJSON decodes body into a T; an empty or malformed body returns an
// error wrapping ErrDecode. It never panics.
func DecodeJSON[T any](body []byte) (T, error) {
	var v T
	if len(body) == 0 {
		return v, fmt.Errorf("%w: empty body", ErrDecode)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return v, nil
}
