//go:build js

package cache

import (
	"context"
	"fmt"
	"strings"
	"syscall/js"
)

// FetchTransport is the browser Transport, over the fetch API with an
// AbortController, so browser builds do not link net/http.
type FetchTransport struct {
	fetch js.Value
	// MaxBody caps the response body; 0 means DefaultMaxBody.
	MaxBody int
}

// NewFetchTransport returns a FetchTransport over globalThis.fetch, or an
// error wrapping ErrUnavailable when the host has no fetch or
// AbortController.
func NewFetchTransport() (*FetchTransport, error) {
	return newFetchTransport(js.Global().Get("fetch"))
}

func newFetchTransport(fetch js.Value) (*FetchTransport, error) {
	if fetch.Type() != js.TypeFunction {
		return nil, fmt.Errorf("%w: fetch", ErrUnavailable)
	}
	if js.Global().Get("AbortController").Type() != js.TypeFunction {
		return nil, fmt.Errorf("%w: AbortController", ErrUnavailable)
	}
	return &FetchTransport{fetch: fetch}, nil
}

// DefaultTransport returns the platform's Transport: FetchTransport in the
// browser (one whose requests fail with ErrUnavailable when the host has
// no fetch), HTTPTransport natively.
func DefaultTransport() Transport {
	t, err := NewFetchTransport()
	if err != nil {
		return TransportFunc(func(context.Context, *Request) (*Response, error) { return nil, err })
	}
	return t
}

// RoundTrip implements Transport. Cancelling ctx aborts the fetch.
func (t *FetchTransport) RoundTrip(ctx context.Context, req *Request) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g := js.Global()
	ctrl := g.Get("AbortController").New()
	init := g.Get("Object").New()
	init.Set("method", req.Method)
	h := g.Get("Object").New()
	for k, v := range req.Header {
		h.Set(k, v)
	}
	init.Set("headers", h)
	if req.Body != nil {
		arr := g.Get("Uint8Array").New(len(req.Body))
		js.CopyBytesToJS(arr, req.Body)
		init.Set("body", arr)
	}
	init.Set("signal", ctrl.Get("signal"))
	resp, err := await(ctx, ctrl, func() js.Value { return t.fetch.Invoke(req.URL, init) })
	if err != nil {
		return nil, fetchError(req, err)
	}
	out := &Response{Status: resp.Get("status").Int(), Header: map[string]string{}}
	each := js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) >= 2 {
			out.Header[strings.ToLower(args[1].String())] = args[0].String()
		}
		return nil
	})
	resp.Get("headers").Call("forEach", each)
	each.Release()
	buf, err := await(ctx, ctrl, func() js.Value { return resp.Call("arrayBuffer") })
	if err != nil {
		return nil, fetchError(req, err)
	}
	limit := t.MaxBody
	if limit == 0 {
		limit = DefaultMaxBody
	}
	n := buf.Get("byteLength").Int()
	if n > limit {
		return nil, fmt.Errorf("cache: %s %s: %w", req.Method, req.URL, ErrBodyTooLarge)
	}
	out.Body = make([]byte, n)
	js.CopyBytesToGo(out.Body, g.Get("Uint8Array").New(buf))
	return out, nil
}

func fetchError(req *Request, err error) error {
	if err == context.Canceled || err == context.DeadlineExceeded {
		return err
	}
	return fmt.Errorf("cache: %s %s: %w", req.Method, req.URL, err)
}

// jsError is a rejected promise's reason.
type jsError struct{ msg string }

func (e *jsError) Error() string { return e.msg }

// await waits for the promise start returns, aborting ctrl when ctx ends.
func await(ctx context.Context, ctrl js.Value, start func() js.Value) (js.Value, error) {
	type outcome struct {
		v   js.Value
		err error
	}
	ch := make(chan outcome, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- outcome{v: args[0]}
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			r := args[0]
			if r.Type() == js.TypeObject && r.Get("message").Type() == js.TypeString {
				msg = r.Get("name").String() + ": " + r.Get("message").String()
			} else {
				msg = r.String()
			}
		}
		ch <- outcome{err: &jsError{msg: msg}}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	var p js.Value
	if err := jsTry(func() { p = start() }); err != nil {
		return js.Value{}, err
	}
	p.Call("then", then, catch)
	select {
	case o := <-ch:
		return o.v, o.err
	case <-ctx.Done():
		ctrl.Call("abort")
		<-ch // the promise settles (rejected) after abort
		return js.Value{}, ctx.Err()
	}
}

// jsTry turns a JavaScript exception thrown synchronously into an error.
func jsTry(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &jsError{msg: fmt.Sprint(p)}
		}
	}()
	f()
	return nil
}
