package cache

import "context"

// Request is an HTTP request for a Transport. Header names are matched
// case-insensitively.
type Request struct {
	Method string
	URL    string
	Header map[string]string
	Body   []byte
}

// Response is an HTTP response from a Transport. Header names are lower
// case, as the browser's fetch reports them.
type Response struct {
	Status int
	Header map[string]string
	Body   []byte
}

// A Transport performs HTTP requests: net/http natively (HTTPTransport) and
// the browser's fetch under GOOS=js (FetchTransport), so that browser builds
// do not link net/http. RoundTrip must return once ctx is done, with ctx's
// error, aborting the request.
type Transport interface {
	RoundTrip(ctx context.Context, req *Request) (*Response, error)
}

// TransportFunc adapts a function to Transport, for tests and fakes.
type TransportFunc func(ctx context.Context, req *Request) (*Response, error)

// RoundTrip calls f.
func (f TransportFunc) RoundTrip(ctx context.Context, req *Request) (*Response, error) {
	return f(ctx, req)
}

// DefaultMaxBody caps response bodies read by the transports: 32 MiB.
const DefaultMaxBody = 32 << 20
