package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/tandemkit/tandem/examples/todo/board"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/wire"
)

// pageLimit is the most entities of one topic a page is rendered with: past
// it, the page is the skeleton, and the WebAssembly loads the board over the
// WebSocket as it does from a static site. The open demo's topics are synced
// whole (the todos of every list, which the sidebar counts), and the
// WebAssembly decodes what the page holds before it runs: 5,000 todos make a
// page of about 4.5 MB (130 kB with brotli).
const pageLimit = 5000

// pageReadTime bounds the read of a page's data.
const pageReadTime = 5 * time.Second

// boardPage serves "/" in the open demo: go-app's page (the site's
// index.html) with the board rendered in it with the server's data in place
// of the skeleton (board.Prerender), and that data, each topic's entities
// and cursor read in one transaction (server.Reader.Snapshot), in a
// <script type="application/json" id="tandem-boot"> after it
// (board.EncodeBoot) for the WebAssembly to start from. The list is on
// screen when the HTML is parsed; the WebAssembly, once loaded, shows the
// same (go-app replaces the markup with its own, which Rows fills before the
// browser paints) and resumes the stream from the page's cursors.
//
// The page is never cached by the browser (Cache-Control: no-store), is
// compressed as the client accepts (brotli, gzip), and carries the static
// files' security headers. The server keeps the page it made last and serves
// it again while the topics' cursors have not moved: a read, but no render. go-app's service worker keeps the page it fetched when it was
// installed and serves that on later visits: its data is older, but its
// cursors are its data's, and the stream catches up from them.
//
// Anything else, and "/" when the page cannot be rendered — the site's page
// is not the board's as cmd/site writes it (board.PageMarker: the fallback
// page, another go-app app in a -web folder), a topic
// holds more than pageLimit entities, the data cannot be read, the render
// fails (logged), or more renders than slots are under way — is the static
// files' answer: the skeleton page. A render error is never a 500.
type boardPage struct {
	files  *staticFiles
	api    *server.Server
	log    *slog.Logger
	limit  int
	render func([]wire.Snapshot) (string, error) // board.Prerender
	slots  chan struct{}                         // a render holds one

	mu   sync.Mutex
	last *madePage // guarded by mu: the page last made, for its data's cursors
}

// A madePage is a page with the board, for the data at its topics' cursors.
// The data at a cursor does not change (any write moves it), so while the
// cursors and go-app's page stay the same, the page is served again as it is
// rather than read and rendered anew.
type madePage struct {
	index   []byte        // go-app's page it was made from
	cursors []wire.Cursor // of board.Topics(), in order
	page    []byte

	mu      sync.Mutex
	encoded map[string][]byte // guarded by mu: page compressed, by encoding
}

// body returns the page compressed with the first of brotli and gzip that
// accepted allows, once per encoding, or as it is.
func (m *madePage) body(accepted map[string]bool) (body []byte, encoding string) {
	for _, enc := range encodings {
		if !accepted[enc.name] {
			continue
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if b, ok := m.encoded[enc.name]; ok {
			return b, enc.name
		}
		b, err := compress(m.page, enc.name)
		if err != nil {
			return m.page, ""
		}
		if m.encoded == nil {
			m.encoded = map[string][]byte{}
		}
		m.encoded[enc.name] = b
		return b, enc.name
	}
	return m.page, ""
}

func newBoardPage(files *staticFiles, api *server.Server, log *slog.Logger) *boardPage {
	return &boardPage{files: files, api: api, log: log, limit: pageLimit, render: board.Prerender,
		slots: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
}

func (p *boardPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" || r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.files.ServeHTTP(w, r)
		return
	}
	select {
	case p.slots <- struct{}{}:
		defer func() { <-p.slots }()
	default:
		p.log.Debug("page: every render slot busy; serving the skeleton")
		p.files.ServeHTTP(w, r)
		return
	}
	page, err := p.page(r.Context())
	if err != nil {
		level := slog.LevelError
		if errors.Is(err, server.ErrSnapshotTooBig) || errors.Is(err, errNotGoApp) {
			level = slog.LevelDebug
		}
		p.log.Log(r.Context(), level, "page: serving the skeleton", "err", err)
		p.files.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", htmlCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Add("Vary", "Accept-Encoding")
	body, enc := page.body(acceptedEncodings(r.Header.Get("Accept-Encoding")))
	if enc != "" {
		h.Set("Content-Encoding", enc)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// errNotGoApp: the site's index.html is not the board's page as cmd/site
// writes it (another go-app app's, a page of another kind).
var errNotGoApp = errors.New("the site's index.html is not the board's go-app page (board.PageMarker)")

// page returns the page with the board and its data in it: the one made
// last if the data is still at its cursors, else a new one.
func (p *boardPage) page(ctx context.Context) (*madePage, error) {
	index, err := fs.ReadFile(p.files.fsys, "index.html")
	if err != nil {
		return nil, err
	}
	before, after, ok := splitPage(index)
	if !ok || !bytes.Contains(before, []byte(board.PageMarker)) {
		return nil, errNotGoApp
	}
	ctx, cancel := context.WithTimeout(ctx, pageReadTime)
	defer cancel()
	var boot []wire.Snapshot
	err = p.api.Read(ctx, func(r *server.Reader) error {
		for _, topic := range board.Topics() {
			snap, err := r.Snapshot(topic, p.limit)
			if err != nil {
				return err
			}
			boot = append(boot, snap)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	made := &madePage{index: index, cursors: make([]wire.Cursor, len(boot))}
	for i, snap := range boot {
		made.cursors[i] = wire.Cursor{Epoch: snap.Epoch, Seq: snap.Seq}
	}
	p.mu.Lock()
	last := p.last
	p.mu.Unlock()
	if last != nil && bytes.Equal(last.index, index) && slices.Equal(last.cursors, made.cursors) {
		return last, nil
	}
	html, err := p.renderSafely(boot)
	if err != nil {
		return nil, err
	}
	data, err := board.EncodeBoot(boot)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(before) + len(html) + len(data) + len(after) + 256)
	// The browser renders a page while it parses it; a board of a thousand
	// rows, laid out again at each step, takes several times as long to
	// parse. The first frame waits for the board instead (Chromium; other
	// browsers ignore it and render as they parse).
	head := bytes.Index(before, []byte("</head>"))
	b.Write(before[:head])
	b.WriteString(`<link rel="expect" href="#` + board.BootID + `" blocking="render">` + "\n  ")
	// No preload of the WebAssembly, which go-app's script fetches once the
	// page is parsed: downloading it beside the parse made the parse of a
	// thousand rows up to twice as long.
	b.Write(before[head:])
	b.WriteString(html)
	b.WriteString("\n    <script type=\"application/json\" id=\"" + board.BootID + "\">")
	b.Write(data) // JSON escapes <, > and &: nothing in it ends the element
	b.WriteString("</script>\n    ")
	b.Write(after)
	made.page = b.Bytes()
	p.mu.Lock()
	p.last = made
	p.mu.Unlock()
	return made, nil
}

// renderSafely renders the board, a panic being an error.
func (p *boardPage) renderSafely(boot []wire.Snapshot) (html string, err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("page: render panicked: %v", x)
		}
	}()
	return p.render(boot)
}

// splitPage cuts go-app's page around its body's first element, the
// prerendered skeleton that go-app's Load replaces with the mounted app: what
// comes before it, and from go-app's loader (its next sibling) on.
func splitPage(index []byte) (before, after []byte, ok bool) {
	body := bytes.Index(index, []byte("<body>"))
	if body < 0 || !bytes.Contains(index[:body], []byte("</head>")) {
		return nil, nil, false
	}
	first := bytes.IndexByte(index[body+len("<body>"):], '<')
	// go-app writes attributes in a map's order: the loader's id may come
	// after its class.
	loader := bytes.Index(index, []byte(`id="app-wasm-loader"`))
	if loader >= 0 {
		loader = bytes.LastIndex(index[:loader], []byte("<aside"))
	}
	if first < 0 || loader < 0 {
		return nil, nil, false
	}
	first += body + len("<body>")
	if loader < first || bytes.HasPrefix(index[first:], []byte("<aside")) {
		return nil, nil, false // no element before the loader
	}
	return index[:first], index[loader:], true
}

// compress encodes page with encoding ("br" or "gzip"), at a speed fit for
// a page made per request: brotli's quality 1 takes a 1,000-todo page from
// 940 kB to 27 kB in about 3 ms.
func compress(page []byte, encoding string) ([]byte, error) {
	var b bytes.Buffer
	var w io.WriteCloser
	switch encoding {
	case "br":
		w = brotli.NewWriterLevel(&b, 1)
	case "gzip":
		w = gzip.NewWriter(&b)
	default:
		return nil, fmt.Errorf("page: no encoding %q", encoding)
	}
	if _, err := w.Write(page); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
