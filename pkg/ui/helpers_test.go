package ui

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
)

// A page is a plain go-app component, as an app's own would be: it counts its
// renders, so tests can tell whether a change re-rendered the ancestors.
type page struct {
	app.Compo
	body    func() app.UI
	renders int
}

func (p *page) Render() app.UI {
	p.renders++
	return p.body()
}

// blank replaces a page to dismount it.
type blank struct{ app.Compo }

func (blank) Render() app.UI { return app.Div() }

// A harness is a page loaded in go-app's test engine with a Runtime.
type harness struct {
	t    *testing.T
	rt   *Runtime
	g    *state.Graph
	e    app.TestEngine
	page *page
	errs []error
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t}
	h.rt = NewRuntime(state.WithErrorHandler(func(err error) { h.errs = append(h.errs, err) }))
	h.g = h.rt.Graph()
	return h
}

// load mounts a page showing body and lets every dispatch and frame run.
func (h *harness) load(body func() app.UI) *page {
	h.t.Helper()
	resetDOM()
	h.e = app.NewTestEngine()
	h.page = &page{body: body}
	require.NoError(h.t, h.e.Load(h.page))
	h.e.ConsumeAll()
	return h.page
}

// unload replaces the page with a blank one, dismounting it.
func (h *harness) unload() {
	h.t.Helper()
	require.NoError(h.t, h.e.Load(&blank{}))
	h.e.ConsumeAll()
}

// html is go-app's view of the page, on one line.
func (h *harness) html() string { return oneLine(app.HTMLString(h.page)) }

// dom is the browser's view of the page: the fake DOM under GOOS=js, and
// go-app's view natively.
func (h *harness) dom() string {
	if !hasDOM {
		return h.html()
	}
	return domHTML(h.page.JSValue())
}

// oneLine joins go-app's indented HTML into one line and sorts each tag's
// attributes, which go-app writes in map order.
func oneLine(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(strings.TrimSpace(l))
	}
	return openTag.ReplaceAllStringFunc(b.String(), func(tag string) string {
		m := openTag.FindStringSubmatch(tag)
		attrs := attr.FindAllString(m[2], -1)
		slices.Sort(attrs)
		return "<" + m[1] + strings.Join(attrs, "") + ">"
	})
}

var (
	openTag = regexp.MustCompile(`<([a-z0-9]+)((?:\s[\w-]+(?:="(?:[^"\\]|\\.)*")?)*)>`)
	attr    = regexp.MustCompile(`\s[\w-]+(?:="(?:[^"\\]|\\.)*")?`)
)

// counter counts calls by name.
type counter map[string]int

func (c counter) inc(name string) { c[name]++ }
