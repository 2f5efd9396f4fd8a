//go:build !js

// The panel is go-app markup, tested natively with go-app's test engine;
// under GOOS=js that engine wants a document, which Node has not.

package devtools

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/ui"
)

type note struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

var notes = form.Define("notes", form.String("title", func(n *note) *string { return &n.Title }).Required())

// server refuses a note titled "taken" with the server's message, and
// holds every other mutation until the test ends, so it stays in the queue.
type server struct{ done chan struct{} }

func (s server) RoundTrip(ctx context.Context, r *cache.Request) (*cache.Response, error) {
	switch {
	case r.Method == "GET":
		return &cache.Response{Status: 200, Body: []byte(`{"items":[],"epoch":"e1","seq":0}`)}, nil
	case strings.Contains(string(r.Body), `"taken"`):
		return &cache.Response{Status: 409, Body: []byte(`{"error":{"code":"conflict","message":"a note has this title","fields":{"title":"is taken"}}}`)}, nil
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, errors.New("the test is over")
	}
}

type page struct {
	app.Compo
	body app.UI
}

func (p *page) Render() app.UI { return app.Div().Body(p.body) }

// Issue 13: the panel shows the queue (clientID, mutationID, state), the
// stream (the connection, each topic's phase and cursor), the query cache
// (key, status, staleness, observers, last update) and the rollbacks with
// their reasons; its button opens and closes it.
func TestPanel_showsTheQueueTheStreamTheQueriesAndTheRollbacks(t *testing.T) {
	rt := ui.NewRuntime()
	srv := server{done: make(chan struct{})}
	defer close(srv.done)
	st, err := store.New(store.Options{Graph: rt.Graph(), BaseURL: "/api", Transport: srv, ClientID: "c0ffee00c0ffee00c0ffee00c0ffee00"})
	require.NoError(t, err)
	defer st.Close()
	c, err := store.Collect(st, notes)
	require.NoError(t, err)
	sc, err := sync.New(sync.Options{Store: st, URL: "ws://test/api/ws",
		Dial: func(context.Context, string) (sync.Conn, error) { return nil, errors.New("no server") }})
	require.NoError(t, err)
	cc := cache.NewClient(cache.ClientOptions{Scheduler: rt.Graph().Schedule})
	defer cc.Close()
	require.NoError(t, cache.SetQueryData(cc, cache.Key{"stats", "today"}, 3))

	p := Panel(rt, Sources{Store: st, Sync: sc, Cache: cc}).(*host)
	e := app.NewTestEngine()
	require.NoError(t, e.Load(&page{body: p}))
	html := func() string {
		e.ConsumeAll()
		return regexp.MustCompile(`>\s+<`).ReplaceAllString(app.HTMLString(p), "><")
	}
	assert.Contains(t, html(), `data-testid="devtools-toggle"`)
	assert.NotContains(t, html(), `data-testid="devtools"`, "closed at first")

	rt.Graph().Batch(func() { p.p.open.Set(true) })
	require.Contains(t, html(), `data-testid="devtools"`)
	assert.Contains(t, html(), "No mutation waiting for the server. clientID c0ffee00c0ffee00c0ffee00c0ffee00")

	creates := c.Creates()
	rt.Graph().Batch(func() {
		creates.Run(note{ID: "n1", Title: "taken"})
		creates.Run(note{ID: "n2", Title: "kept"})
	})
	sending := regexp.MustCompile(`<td>2</td><td><span class="dt-state dt-sending">sending</span></td><td>create notes/n2</td>`)
	require.Eventually(t, func() bool { return sending.MatchString(html()) }, 5*time.Second, 5*time.Millisecond, "n1 refused, n2 in flight")
	assert.Contains(t, html(), "c0ffee00…", "the clientID, abbreviated")

	tab := func(id string) { rt.Graph().Batch(func() { p.p.tab.Set(id) }) }
	tab("rollbacks")
	assert.Regexp(t, `<td>1</td><td>create notes/n1</td><td>409 conflict</td><td>title: is taken</td>`, html())

	tab("stream")
	assert.Regexp(t, `Connection: (connecting|reconnecting|offline)`, html())
	assert.Regexp(t, `<td>notes</td><td><span class="dt-state dt-\w+">\w+</span></td><td>0</td>`, html(), "the topic, its phase and its cursor")

	tab("queries")
	assert.Regexp(t, `<td>\[stats today\]</td><td><span class="dt-state">success</span></td><td>idle</td><td>0</td><td class="dt-dim">0s ago</td>`, html())

	rt.Graph().Batch(func() { p.p.open.Set(false) })
	assert.NotContains(t, html(), `data-testid="devtools"`)
}

// Without a query cache, the Queries tab says why it is empty.
func TestPanel_withoutAQueryCache(t *testing.T) {
	assert.Contains(t, app.HTMLString(dtQueries(false, nil, time.Time{})), "This app has no query cache")
	assert.Contains(t, app.HTMLString(dtQueries(true, nil, time.Time{})), "No query in the cache.")
}
