//go:build js

package sync

import (
	"context"
	"errors"
	gosync "sync"
	"syscall/js"

	"github.com/tandemkit/tandem/pkg/wire"
)

// WebSocket returns the Dialer of the browser's own WebSocket (also Node's,
// from version 22, or 20 with --experimental-websocket) with the protocol's
// subprotocol. Natively the same function dials with coder/websocket
// (websocket.go); one conn suite tests both.
//
// This binding exists for size: coder/websocket's browser build links
// net/http, which made a client's download about half as big again. It is
// also more faithful: a close the server sends, such as 4001, reads as a
// *CloseError with its code, as natively.
//
// Messages arrive whole, so there is no read limit here; the reconciler's
// own (maxMsg, closing with 4009) applies.
func WebSocket() Dialer {
	return func(ctx context.Context, url string) (Conn, error) {
		return dialBrowser(ctx, url)
	}
}

// browserConn is one browser WebSocket. Its event listeners run on the
// JavaScript event loop's goroutine and must not block: they append to
// a queue under mu and signal wake.
type browserConn struct {
	ws     js.Value
	funcs  [4]js.Func    // open, message, close, error listeners; released on close
	opened chan struct{} // closed by the open or close event, whichever comes first

	mu       gosync.Mutex
	queue    []inbound // guarded by mu
	done     error     // guarded by mu: why reads end (close event, local Close)
	closed   bool      // guarded by mu: Close was called
	open     bool      // guarded by mu: the open event came
	detached bool      // guarded by mu: the listeners are gone
	wake     chan struct{}
}

// inbound is one received message, or the error a binary message is.
type inbound struct {
	msg []byte
	err error
}

func dialBrowser(ctx context.Context, url string) (Conn, error) {
	ctor := js.Global().Get("WebSocket")
	if ctor.Type() != js.TypeFunction {
		return nil, errors.New("sync: dialing " + url + ": this JavaScript host has no WebSocket")
	}
	c := &browserConn{opened: make(chan struct{}), wake: make(chan struct{}, 1)}
	if err := jsCatch(func() {
		c.ws = ctor.New(url, js.ValueOf([]any{wire.Subprotocol}))
	}); err != nil {
		return nil, errors.New("sync: dialing " + url + ": " + err.Error())
	}
	c.ws.Set("binaryType", "arraybuffer")
	c.funcs[0] = js.FuncOf(func(js.Value, []js.Value) any {
		c.mu.Lock()
		if !c.open {
			c.open = true
			close(c.opened)
		}
		c.mu.Unlock()
		return nil
	})
	c.funcs[1] = js.FuncOf(func(_ js.Value, args []js.Value) any {
		data := args[0].Get("data")
		in := inbound{err: errBinary}
		if data.Type() == js.TypeString {
			in = inbound{msg: []byte(data.String())}
		}
		c.mu.Lock()
		c.queue = append(c.queue, in)
		c.mu.Unlock()
		c.signal()
		return nil
	})
	c.funcs[2] = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ev := args[0]
		ce := &CloseError{Code: wire.CloseCode(ev.Get("code").Int()), Reason: ev.Get("reason").String()}
		c.mu.Lock()
		if c.done == nil {
			c.done = ce
		}
		if !c.open {
			c.open = true
			close(c.opened)
		}
		c.mu.Unlock()
		c.signal()
		c.detach()
		return nil
	})
	// A failed connection fires error, then close with 1006 in browsers;
	// Node 20's WebSocket fires only error when a handshake fails (no
	// subprotocol, say), so error alone ends the connection too.
	c.funcs[3] = js.FuncOf(func(js.Value, []js.Value) any {
		c.mu.Lock()
		if c.done == nil {
			c.done = &CloseError{Code: 1006, Reason: "connection failed"}
		}
		if !c.open {
			c.open = true
			close(c.opened)
		}
		c.mu.Unlock()
		c.signal()
		return nil
	})
	c.ws.Set("onopen", c.funcs[0])
	c.ws.Set("onmessage", c.funcs[1])
	c.ws.Set("onclose", c.funcs[2])
	c.ws.Set("onerror", c.funcs[3])
	select {
	case <-c.opened:
	case <-ctx.Done():
		_ = c.Close(wire.CloseNormal, "dial cancelled")
		return nil, errors.New("sync: dialing " + url + ": " + ctx.Err().Error())
	}
	c.mu.Lock()
	failed := c.done
	c.mu.Unlock()
	if failed != nil {
		c.detach()
		return nil, errors.New("sync: dialing " + url + ": " + failed.Error())
	}
	if p := c.ws.Get("protocol").String(); p != wire.Subprotocol {
		_ = c.Close(wire.CloseProtocolError, "subprotocol "+wire.Subprotocol+" required")
		return nil, errors.New("sync: " + url + " did not accept subprotocol " + wire.Subprotocol)
	}
	return c, nil
}

var errBinary = errors.New("sync: binary message: " + wire.ErrMalformed.Error())

func (c *browserConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Read implements Conn: the next message, in order, then the *CloseError of
// the close event (or ErrClosed after a local Close).
func (c *browserConn) Read(ctx context.Context) ([]byte, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		if len(c.queue) > 0 {
			in := c.queue[0]
			c.queue[0] = inbound{}
			c.queue = c.queue[1:]
			c.mu.Unlock()
			if in.err != nil {
				return nil, malformed{in.err}
			}
			return in.msg, nil
		}
		done := c.done
		c.mu.Unlock()
		if done != nil {
			return nil, done
		}
		select {
		case <-c.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// malformed is a binary message's error; it matches wire.ErrMalformed.
type malformed struct{ err error }

func (m malformed) Error() string        { return m.err.Error() }
func (m malformed) Is(target error) bool { return target == wire.ErrMalformed }

// Write implements Conn. The browser queues the message (send never
// blocks); a connection that is no longer open fails.
func (c *browserConn) Write(ctx context.Context, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	closed, done := c.closed, c.done
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if done != nil {
		return done
	}
	if c.ws.Get("readyState").Int() != 1 { // OPEN
		return ErrClosed
	}
	return jsCatch(func() { c.ws.Call("send", string(msg)) })
}

// Close implements Conn. It starts the close handshake and returns at once;
// reads end with ErrClosed, and the connection's listeners are removed, so
// nothing calls into Go for it any more (a program may exit right after).
// Codes a browser may not send become 4003, and a reason is cut to the 123
// bytes a close frame holds.
func (c *browserConn) Close(code wire.CloseCode, reason string) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	c.mu.Unlock()
	c.signal()
	err := jsCatch(func() { c.ws.Call("close", int(clientCode(code)), closeReason(reason)) })
	c.detach()
	return err
}

// detach removes the listeners and releases their functions, once.
func (c *browserConn) detach() {
	c.mu.Lock()
	done := c.detached
	c.detached = true
	c.mu.Unlock()
	if done {
		return
	}
	for _, name := range []string{"onopen", "onmessage", "onclose", "onerror"} {
		c.ws.Set(name, js.Null())
	}
	for _, f := range c.funcs {
		f.Release()
	}
}

// closeStatus is 0 in the browser: every close reads as a *CloseError.
func closeStatus(error) wire.CloseCode { return 0 }

// jsCatch runs f and returns a JavaScript exception it throws as an error.
func jsCatch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(js.Error); ok {
				err = errors.New("sync: " + e.Error())
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}
