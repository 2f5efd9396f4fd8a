package board

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/ui"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A server can send the open demo's page with the board in it (cmd/server
// does): Prerender renders it with the server's data, which goes in the page
// too, in a <script type="application/json" id="tandem-boot"> (BootID,
// EncodeBoot), so that the WebAssembly starts from the same data (Config.Boot,
// DecodeBoot) and its first render is what the page showed.

// BootID is the id of the page's element holding the data it was rendered
// with.
const BootID = "tandem-boot"

// PageMarker is what cmd/site puts in the head of the board's page: a
// server renders the board only into a page that holds it, never into
// another go-app page it serves.
const PageMarker = `<meta name="tandem-page" content="board">`

// Topics returns the open demo's topics: a page rendered with its data holds
// a snapshot of each, read together (server.Reader.Snapshot in one Read).
func Topics() []string { return []string{model.Lists.Name(), model.Todos.Name()} }

// EncodeBoot returns the content of the page's boot element: boot as a JSON
// array of snapshot messages. JSON escapes <, > and & (\u003c…), so no data
// can end the element: a todo titled "</script>" stays text.
func EncodeBoot(boot []wire.Snapshot) ([]byte, error) {
	for i := range boot {
		if boot[i].Items == nil {
			boot[i].Items = []wire.Item{} // items is required, if empty
		}
	}
	b, err := json.Marshal(boot)
	if err != nil {
		return nil, fmt.Errorf("board: encoding the boot data: %w", err)
	}
	return b, nil
}

// DecodeBoot reads the content of the page's boot element, each snapshot
// checked as one from the WebSocket is (wire.DecodeServerMessage).
func DecodeBoot(b []byte) ([]wire.Snapshot, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("board: the boot data: %w", err)
	}
	boot := make([]wire.Snapshot, 0, len(raw))
	for i, r := range raw {
		m, err := wire.DecodeServerMessage(r)
		if err != nil {
			return nil, fmt.Errorf("board: the boot data, entry %d: %w", i, err)
		}
		snap, ok := m.(wire.Snapshot)
		if !ok {
			return nil, fmt.Errorf("board: the boot data, entry %d: a %s message, not a snapshot", i, m.Type())
		}
		boot = append(boot, snap)
	}
	return boot, nil
}

// Prerender returns the open demo's board as the WebAssembly's first render
// shows it when it starts from boot (Config.Boot): the HTML of the page's
// root element, for a server to send in place of the skeleton that cmd/site
// prerenders. It builds an App of its own, which never connects, and drops
// it; call it from any goroutine, once per page.
//
// The board differs from the browser's only where the browser cannot be
// known: no devtools button (a -tags devtools WebAssembly adds it), and no
// autofocus (see newTodoForm). A render that panics is an error: serve the
// skeleton instead.
func Prerender(boot []wire.Snapshot) (html string, err error) {
	var renderErr error
	rt := ui.NewRuntime(state.WithErrorHandler(func(e error) { renderErr = errors.Join(renderErr, e) }))
	a, err := newApp(rt, Config{API: "/api", WebSocket: "ws://prerender.invalid/api/ws", Boot: func() []wire.Snapshot { return boot },
		Transport: nowhere{}, Dial: func(context.Context, string) (sync.Conn, error) { return nil, errNowhere }},
		model.Session{}, true)
	if err != nil {
		return "", fmt.Errorf("board: prerender: %w", err)
	}
	defer a.Close()
	defer func() {
		if x := recover(); x != nil {
			html, err = "", fmt.Errorf("board: prerender: %v", x)
		}
	}()
	html = ui.HTMLString(&Board{App: a})
	if renderErr != nil {
		return "", fmt.Errorf("board: prerender: %w", renderErr)
	}
	return html, nil
}

// errNowhere: a prerender App sends nothing.
var errNowhere = errors.New("board: a prerendered board sends nothing")

// nowhere is a prerender App's transport.
type nowhere struct{}

func (nowhere) RoundTrip(context.Context, *cache.Request) (*cache.Response, error) {
	return nil, errNowhere
}
