//go:build !js

package sync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	gosync "sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/tandemkit/tandem/pkg/wire"
)

// connPeer is the server side of runConnSuite, with coder/websocket:
//
//	/echo             echoes text; "binary" answers a binary message,
//	                  "close CODE REASON" closes with that code
//	/closes?name=N    records the close code and reason the client sends
//	/report?name=N    sends "CODE REASON" recorded for N, once it is there
//	/nosub            accepts without the protocol's subprotocol
type connPeer struct {
	mu     gosync.Mutex
	closes map[string]string        // guarded by mu
	wait   map[string]chan struct{} // guarded by mu: closed when closes[name] is set
}

func startConnPeer(t *testing.T) string {
	p := &connPeer{closes: map[string]string{}, wait: map[string]chan struct{}{}}
	hs := httptest.NewServer(p)
	t.Cleanup(hs.Close)
	return "ws" + strings.TrimPrefix(hs.URL, "http")
}

func (p *connPeer) waiter(name string) chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := p.wait[name]
	if ch == nil {
		ch = make(chan struct{})
		p.wait[name] = ch
	}
	return ch
}

func (p *connPeer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	opts := &websocket.AcceptOptions{Subprotocols: []string{wire.Subprotocol}, InsecureSkipVerify: true}
	if r.URL.Path == "/nosub" {
		opts.Subprotocols = nil
	}
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	ctx := r.Context()
	name := r.URL.Query().Get("name")
	switch r.URL.Path {
	case "/echo":
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			s := string(msg)
			switch {
			case s == "binary":
				_ = c.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3})
			case strings.HasPrefix(s, "close "):
				f := strings.SplitN(s, " ", 3)
				code, _ := strconv.Atoi(f[1])
				_ = c.Close(websocket.StatusCode(code), f[2])
				return
			default:
				_ = c.Write(ctx, websocket.MessageText, msg)
			}
		}
	case "/closes":
		_, _, err := c.Read(ctx)
		var ce websocket.CloseError
		seen := "none"
		if errors.As(err, &ce) {
			seen = strconv.Itoa(int(ce.Code)) + " " + ce.Reason
		}
		ch := p.waiter(name)
		p.mu.Lock()
		p.closes[name] = seen
		p.mu.Unlock()
		close(ch)
	case "/report":
		select {
		case <-p.waiter(name):
		case <-ctx.Done():
			return
		}
		p.mu.Lock()
		seen := p.closes[name]
		p.mu.Unlock()
		_ = c.Write(context.Background(), websocket.MessageText, []byte(seen))
		_, _, _ = c.Read(ctx) // until the client closes
	case "/nosub":
		_, _, _ = c.Read(ctx)
	}
}
