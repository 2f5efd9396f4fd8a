//go:build !js

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	gosync "sync"
	"testing"

	"github.com/andybalholm/brotli"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/board"
	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/wire"
)

// goAppSite writes go-app's page for the board, as cmd/site does (without
// the WebAssembly, which these tests do not run), and returns its folder.
func goAppSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	goapp.Route("/", func() goapp.Composer { return &board.Board{} })
	require.NoError(t, goapp.GenerateStaticWebsite(dir, &goapp.Handler{Name: "Tandem board", Title: "Tandem — board",
		LoadingLabel: "Loading the board… {progress}%", Styles: []string{"/web/app.css"}, RawHeaders: []string{board.PageMarker}}))
	return dir
}

// pageApp serves the open demo (or the signed-in one) on go-app's page.
func pageApp(t *testing.T, mutate ...func(*config)) *app {
	t.Helper()
	cfg := config{web: goAppSite(t), quotas: server.Quotas{Mutations: server.Rate{PerSecond: 1e6, Burst: 1e6}}}
	for _, m := range mutate {
		m(&cfg)
	}
	a := startApp(t, cfg)
	if a.page != nil { // why a page is the skeleton, in the test's output
		a.page.log = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return a
}

// post creates an entity as a client would.
func (a *app) post(t testing.TB, coll string, body any) {
	t.Helper()
	require.NoError(t, a.create(coll, body))
}

// create creates an entity as a client would; any goroutine.
func (a *app) create(coll string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	res, err := http.Post(a.url("/api/"+coll), "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /api/%s: %d %s", coll, res.StatusCode, msg)
	}
	return nil
}

// seedTodos makes list l1 (and an empty l2 after it) with n todos, titled
// by title, a few clients at once.
func (a *app) seedTodos(t testing.TB, n int, title func(int) string) {
	t.Helper()
	a.post(t, "lists", map[string]any{"id": "l1", "name": "A thousand things", "position": 1})
	a.post(t, "lists", map[string]any{"id": "l2", "name": "Later", "position": 2})
	var wg gosync.WaitGroup
	errs := make([]error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n && errs[w] == nil; i += 8 {
				errs[w] = a.create("todos", map[string]any{"id": fmt.Sprintf("t%04d", i), "listId": "l1", "title": title(i), "position": i + 1})
			}
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

// get fetches path, with extra headers as name, value pairs.
func (a *app) get(t testing.TB, method, path string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, a.url(path), nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Encoding", "identity") // net/http would ask for gzip and decode it
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

var (
	pageRowRE  = regexp.MustCompile(`<li class="todo[^"]*" data-testid="todo-row" data-id="(t\d+)"`)
	pageBootRE = regexp.MustCompile(`(?s)<script type="application/json" id="tandem-boot">(.*?)</script>`)
)

// bootOf returns the page's boot data.
func bootOf(t testing.TB, page string) []wire.Snapshot {
	t.Helper()
	m := pageBootRE.FindStringSubmatch(page)
	require.NotNil(t, m, "the page holds its data")
	boot, err := board.DecodeBoot([]byte(m[1]))
	require.NoError(t, err)
	return boot
}

// Issue 13: "/" of the open demo is the board with the server's data: the
// first list's 1,000 rows in the HTML, and the data with the cursors it was
// read at, for the WebAssembly. Never cached.
func TestPage_theOpenDemosPageHoldsTheBoardAndItsData(t *testing.T) {
	a := pageApp(t)
	a.seedTodos(t, 1000, func(i int) string { return fmt.Sprintf("Todo number %d", i+1) })
	res, page := a.get(t, "GET", "/")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	assert.Equal(t, htmlCSP, res.Header.Get("Content-Security-Policy"))
	assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))

	rows := pageRowRE.FindAllStringSubmatch(page, -1)
	require.Len(t, rows, 1000)
	assert.Equal(t, "t0000", rows[0][1])
	assert.Equal(t, "t0999", rows[999][1], "in the list's order")
	assert.NotContains(t, page, `class="skeleton"`)
	assert.Contains(t, page, `<h1 class="list-title" id="list-title">A thousand things</h1>`)
	body := page[strings.Index(page, "<body>"):]
	assert.True(t, strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(body, "<body>")), `<div class="app">`),
		"the board is the body's first element, which go-app's Load replaces")
	assert.Less(t, strings.Index(page, `id="tandem-boot"`), strings.Index(page, `id="app-wasm-loader"`))
	assert.Less(t, strings.Index(page, `<link rel="expect" href="#tandem-boot" blocking="render">`), strings.Index(page, "</head>"),
		"the first frame waits for the board")
	assert.Contains(t, page, `src="/app.js"`, "go-app's page around it")

	boot := bootOf(t, page)
	require.Len(t, boot, 2)
	assert.Equal(t, []string{"lists", "todos"}, []string{boot[0].Topic, boot[1].Topic})
	assert.Len(t, boot[0].Items, 2)
	assert.Len(t, boot[1].Items, 1000)
	for _, s := range boot {
		res, body := a.get(t, "GET", "/api/"+s.Topic)
		require.Equal(t, http.StatusOK, res.StatusCode)
		listing, err := wire.DecodeSnapshotPage([]byte(body))
		require.NoError(t, err)
		assert.Equal(t, wire.Cursor{Epoch: listing.Epoch, Seq: listing.Seq}, wire.Cursor{Epoch: s.Epoch, Seq: s.Seq}, "%s: the topic's cursor", s.Topic)
	}
	assert.Equal(t, uint64(1002), boot[0].Seq+boot[1].Seq, "two lists, a thousand todos: the cursors of the data")

	res, head := a.get(t, "HEAD", "/")
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Empty(t, head)
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
}

func TestPage_isCompressedAsTheClientAccepts(t *testing.T) {
	a := pageApp(t)
	a.seedTodos(t, 50, func(i int) string { return fmt.Sprintf("Todo %d", i) })
	_, plain := a.get(t, "GET", "/")
	res, br := a.get(t, "GET", "/", "Accept-Encoding", "gzip, br")
	assert.Equal(t, "br", res.Header.Get("Content-Encoding"), "%v %d %.300s", res.Header, len(br), br)
	assert.Contains(t, res.Header.Values("Vary"), "Accept-Encoding")
	dec, err := io.ReadAll(brotli.NewReader(strings.NewReader(br)))
	require.NoError(t, err)
	assert.Len(t, pageRowRE.FindAllString(string(dec), -1), 50)
	assert.Less(t, len(br), len(plain)/5)
	res, _ = a.get(t, "GET", "/", "Accept-Encoding", "gzip")
	assert.Equal(t, "gzip", res.Header.Get("Content-Encoding"))
}

// The data is users': a title that would end the boot element, or write
// markup or attributes of its own, is text in the page and in its data.
func TestPage_escapesUsersData(t *testing.T) {
	evil := `</script><script>alert(1)</script>" onfocus="alert(2)`
	a := pageApp(t)
	a.post(t, "lists", map[string]any{"id": "l1", "name": evil, "position": 1})
	a.post(t, "todos", map[string]any{"id": "t1", "listId": "l1", "title": evil, "position": 1})
	_, page := a.get(t, "GET", "/")
	assert.Equal(t, 3, strings.Count(page, "<script"), "go-app's two scripts and the boot element, no other")
	assert.NotContains(t, page, "<script>alert")
	assert.NotContains(t, page, `onfocus="`)
	assert.Contains(t, page, `&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#34; onfocus=&#34;alert(2)</span>`)
	boot := bootOf(t, page)
	var todo model.Todo
	require.NoError(t, json.Unmarshal(boot[1].Items[0].Data, &todo))
	assert.Equal(t, evil, todo.Title, "the data reads back as it was")
}

// The page falls back to the skeleton — the static page, never a 500 —
// when the board cannot be rendered, and says why in the log.
func TestPage_fallsBackToTheSkeleton(t *testing.T) {
	skeleton := func(t *testing.T, a *app) {
		t.Helper()
		res, page := a.get(t, "GET", "/")
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, page, `class="skeleton"`)
		assert.NotContains(t, page, "tandem-boot")
		assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"), "the static page's")
	}
	t.Run("a render that fails or panics", func(t *testing.T) {
		var logs bytes.Buffer
		a := pageApp(t)
		a.seedTodos(t, 3, func(i int) string { return fmt.Sprint("todo ", i) })
		page := pageHandler(t, a)
		page.log = slog.New(slog.NewTextHandler(&logs, nil))
		page.render = func([]wire.Snapshot) (string, error) { return "", errors.New("no board today") }
		skeleton(t, a)
		assert.Contains(t, logs.String(), "no board today")
		page.render = func([]wire.Snapshot) (string, error) { panic("a bug in a view") }
		skeleton(t, a)
		assert.Contains(t, logs.String(), "a bug in a view")
	})
	t.Run("a topic past the limit", func(t *testing.T) {
		a := pageApp(t)
		a.seedTodos(t, 11, func(i int) string { return fmt.Sprint("todo ", i) })
		pageHandler(t, a).limit = 10
		skeleton(t, a)
	})
	t.Run("a site that is not go-app's", func(t *testing.T) {
		a := startApp(t, config{}) // index.html: <h1>demo</h1>
		res, page := a.get(t, "GET", "/")
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "<h1>demo</h1>", page)
	})
	t.Run("another go-app app's page", func(t *testing.T) {
		dir := t.TempDir()
		goapp.Route("/", func() goapp.Composer { return &board.Board{} })
		require.NoError(t, goapp.GenerateStaticWebsite(dir, &goapp.Handler{Name: "Hello", Title: "Hello"})) // no PageMarker
		a := pageApp(t, func(c *config) { c.web = dir })
		a.seedTodos(t, 2, func(i int) string { return fmt.Sprint("todo ", i) })
		skeleton(t, a)
	})
	t.Run("every render slot busy", func(t *testing.T) {
		a := pageApp(t)
		p := pageHandler(t, a)
		for range cap(p.slots) {
			p.slots <- struct{}{}
		}
		skeleton(t, a)
	})
}

// Only the open demo's page holds data: the signed-in demo's is the
// skeleton, as is every other file.
func TestPage_onlyTheOpenDemosRootIsRendered(t *testing.T) {
	a := pageApp(t, func(c *config) { c.demoUsers = []string{"ada"} })
	_, page := a.get(t, "GET", "/")
	assert.Contains(t, page, `class="skeleton"`)
	assert.NotContains(t, page, "tandem-boot")

	open := pageApp(t)
	open.seedTodos(t, 2, func(i int) string { return fmt.Sprint("todo ", i) })
	for _, path := range []string{"/index.html", "/app.js"} {
		res, body := open.get(t, "GET", path)
		assert.Equal(t, http.StatusOK, res.StatusCode, path)
		assert.NotContains(t, body, "tandem-boot", path)
	}
	res, _ := open.get(t, "POST", "/")
	assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
}

// pageHandler returns the app's page handler, to change it in a test.
func pageHandler(t *testing.T, a *app) *boardPage {
	t.Helper()
	require.NotNil(t, a.page, "the open demo serves its page")
	return a.page
}

func TestSplitPage(t *testing.T) {
	for _, tc := range []struct {
		page   string
		before string
		after  string
	}{
		{"<html><head></head><body>\n  <div>skeleton</div>\n  <aside id=\"app-wasm-loader\" class=\"x\">l</aside></body></html>", "<html><head></head><body>\n  ", "<aside id=\"app-wasm-loader\" class=\"x\">l</aside></body></html>"},
		{"</head><body><div>s</div><aside class=\"x\" id=\"app-wasm-loader\">l</aside></body>", "</head><body>", "<aside class=\"x\" id=\"app-wasm-loader\">l</aside></body>"},
		{"<body><aside id=\"app-wasm-loader\"></aside></body>", "", ""},
		{"<h1>demo</h1>", "", ""},
		{"<body><div>no loader</div></body>", "", ""},
	} {
		before, after, ok := splitPage([]byte(tc.page))
		assert.Equal(t, tc.before != "", ok, tc.page)
		assert.Equal(t, tc.before, string(before), tc.page)
		assert.Equal(t, tc.after, string(after), tc.page)
	}
}

// The data at a cursor never changes: while the topics' cursors stay, the
// page made last is served again, without a render; a write makes a new one.
func TestPage_isMadeAgainOnlyWhenTheDataMoved(t *testing.T) {
	a := pageApp(t)
	a.seedTodos(t, 3, func(i int) string { return fmt.Sprint("todo ", i) })
	p := pageHandler(t, a)
	renders := 0
	p.render = func(boot []wire.Snapshot) (string, error) { renders++; return board.Prerender(boot) }
	_, first := a.get(t, "GET", "/")
	_, again := a.get(t, "GET", "/")
	res, br := a.get(t, "GET", "/", "Accept-Encoding", "br")
	assert.Equal(t, 1, renders, "made once")
	assert.Equal(t, first, again)
	dec, err := io.ReadAll(brotli.NewReader(strings.NewReader(br)))
	require.NoError(t, err)
	assert.Equal(t, first, string(dec), "and compressed from the same page")
	assert.Equal(t, "br", res.Header.Get("Content-Encoding"))

	a.post(t, "todos", map[string]any{"id": "t9", "listId": "l1", "title": "Lemons", "position": 9})
	_, after := a.get(t, "GET", "/")
	assert.Equal(t, 2, renders, "the data moved: made anew")
	assert.Contains(t, after, ">Lemons</span>")
	assert.Len(t, pageRowRE.FindAllString(after, -1), 4)
}
