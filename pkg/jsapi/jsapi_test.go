//go:build js

package jsapi

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"syscall/js"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

// fakeHost is the JavaScript host object of a test: it keeps the batches
// Go delivers and the errors it reports.
func fakeHost() js.Value {
	return js.Global().Get("Function").New(`return {
		FAIL: {}, batches: [], errors: [],
		deliver(t) { this.batches.push(t) },
		makeError(j) { const e = new Error(JSON.parse(j).message); e.json = j; return e },
		hook(h, dir, j) { return j },
		onError(e) { this.errors.push(e) },
	}`).Invoke()
}

// rig is a Runtime with one client whose store talks to nobody (requests
// wait for ever) and no realtime: the test plays the server by applying
// items to the collections.
type rig struct {
	r    *Runtime
	host js.Value
	api  js.Value
	cl   *client
}

func newRig(t testing.TB) *rig {
	t.Helper()
	r := New(Entity(model.Lists), Entity(model.Todos))
	host := fakeHost()
	api := r.Exports()
	r.Attach(host)
	s, err := store.New(store.Options{Graph: r.g, Transport: cache.TransportFunc(func(ctx context.Context, _ *cache.Request) (*cache.Response, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})})
	require.NoError(t, err)
	cl := &client{r: r, s: s, colls: map[string]*coll{}}
	r.clients = append(r.clients, cl)
	t.Cleanup(r.Close)
	return &rig{r: r, host: host, api: api, cl: cl}
}

// batches returns and forgets what crossed to JavaScript so far.
func (g *rig) batches() []string {
	b := g.host.Get("batches")
	out := make([]string, b.Length())
	for i := range out {
		out[i] = b.Index(i).String()
	}
	g.host.Set("batches", js.Global().Get("Array").New())
	return out
}

func todoItem(id, list, title string, pos float64, version uint64) wire.Item {
	b, _ := json.Marshal(model.Todo{ID: id, ListID: list, Title: title, Position: pos})
	return wire.Item{ID: id, Version: version, Data: b}
}

// batch is a delivered batch, decoded.
type batch struct {
	C [][]json.RawMessage `json:"c"`
	S []json.RawMessage   `json:"s"`
	Q []int               `json:"q"`
}

func decodeBatch(t testing.TB, s string) batch {
	t.Helper()
	var b batch
	require.NoError(t, json.Unmarshal([]byte(s), &b), s)
	return b
}

func TestView_aChangeToOneEntityCrossesAsThatEntityAlone(t *testing.T) {
	g := newRig(t)
	todos, err := g.cl.collection("todos")
	require.NoError(t, err)
	items := make([]wire.Item, 1000)
	for i := range items {
		items[i] = todoItem("t"+strconv.Itoa(i), "l1", "todo "+strconv.Itoa(i), float64(i), 1)
	}
	g.r.call(func() { todos.c.ApplyItems(items...) })
	require.Empty(t, g.batches(), "nothing crosses while JavaScript follows nothing")

	g.api.Call("vopen", todos.h, 7, `{"where":{"listId":"l1"},"orderBy":["position"]}`)
	first := g.batches()
	require.Len(t, first, 1, "the first delivery is one crossing")
	b := decodeBatch(t, first[0])
	require.Len(t, b.C, 1)
	var changed [][]json.RawMessage
	require.NoError(t, json.Unmarshal(b.C[0][1], &changed))
	assert.Len(t, changed, 1000, "every member, once")
	var splices [][]json.RawMessage
	require.NoError(t, json.Unmarshal(b.C[0][3], &splices))
	require.Len(t, splices, 1)
	assert.Equal(t, "7", string(splices[0][0]), "the view's JavaScript id")
	var ids []string
	require.NoError(t, json.Unmarshal(splices[0][3], &ids))
	assert.Equal(t, "t0", ids[0])
	assert.Equal(t, "t999", ids[999])

	g.r.call(func() { todos.c.ApplyItems(todoItem("t500", "l1", "renamed", 500, 2)) })
	next := g.batches()
	require.Len(t, next, 1)
	assert.Less(t, len(next[0]), 300, "one entity, no ids: %s", next[0])
	assert.Contains(t, next[0], `["t500",{`)
	assert.Contains(t, next[0], `"renamed"`)
	assert.Contains(t, next[0], `[],[]]`, "nothing forgotten, no splice")

	g.r.call(func() { todos.c.ApplyItems(todoItem("new", "l1", "inserted", 10.5, 1)) })
	ins := decodeBatch(t, g.batches()[0])
	require.NoError(t, json.Unmarshal(ins.C[0][3], &splices))
	assert.Equal(t, `[7,11,0,["new"]]`, compact(t, ins.C[0][3]), "an insert is one splice of one id")

	g.r.call(func() { todos.c.ApplyItems(wire.Item{ID: "t3", Version: 2, Deleted: true}) })
	del := decodeBatch(t, g.batches()[0])
	assert.Equal(t, `[7,3,1,[]]`, compact(t, del.C[0][3]), "a delete is one splice")
	assert.Equal(t, `["t3"]`, compact(t, del.C[0][2]), "and JavaScript may forget it")
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(raw, &v))
	if a, ok := v.([]any); ok && len(a) == 1 {
		if inner, ok := a[0].([]any); ok && len(inner) > 0 {
			if _, ok := inner[0].(float64); ok {
				v = inner // a list of one splice: the splice
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestView_changesWithinOneCallCrossOnceAsOneSplice(t *testing.T) {
	g := newRig(t)
	todos, err := g.cl.collection("todos")
	require.NoError(t, err)
	g.r.call(func() {
		todos.c.ApplyItems(todoItem("a", "l1", "a", 1, 1), todoItem("b", "l1", "b", 2, 1))
	})
	g.api.Call("vopen", todos.h, 1, `{"orderBy":["position"]}`)
	g.batches()
	g.r.call(func() {
		for i := range 5 {
			todos.c.ApplyItems(todoItem("n"+strconv.Itoa(i), "l1", "n", 1.5, 1))
		}
		todos.c.ApplyItems(todoItem("a", "l1", "a again", 1, 2))
	})
	got := g.batches()
	require.Len(t, got, 1, "one call, one crossing")
	b := decodeBatch(t, got[0])
	assert.Equal(t, `[1,1,0,["n0","n1","n2","n3","n4"]]`, compact(t, b.C[0][3]))
}

func TestMutations_settleThroughTheBatchWithTheFormsMessages(t *testing.T) {
	g := newRig(t)
	g.api.Call("collection", g.r.handle(g.cl), "todos") // a handle of the client for the exported call
	todos := g.cl.colls["todos"]
	id := g.api.Call("create", todos.h, 41, `{"listId":"l1","title":"  "}`).String()
	assert.NotEmpty(t, id, "an id is generated")
	b := decodeBatch(t, g.batches()[0])
	require.Len(t, b.S, 1)
	assert.JSONEq(t, `[41,0,{"kind":"invalid","message":"form: title: is required","status":0,"code":"invalid","fields":{"title":"is required"}}]`, string(b.S[0]))

	assert.Equal(t, "", g.api.Call("validate", todos.h, "create", `{"listId":"l1","title":"ok"}`, "").String())
	assert.Contains(t, g.api.Call("validate", todos.h, "create", `{"listId":"l1","title":7}`, "").String(), `"title":"must be a string"`)

	g.api.Call("create", todos.h, 42, `{"id":"x","listId":"l1","title":"Milk"}`)
	assert.True(t, todos.c.IsPending("x"), "sent, and shown at once")
	got, ok := todos.c.Get("x")
	require.True(t, ok)
	assert.Contains(t, string(got.raw), `"title":"Milk"`)
}

func TestSignals_aThrownExceptionReachesTheCallerAsItself(t *testing.T) {
	g := newRig(t)
	fn := js.Global().Get("Function").New(`throw new RangeError("boom")`)
	h := g.api.Call("computed", fn)
	out := g.api.Call("get", h)
	require.True(t, out.Equal(g.host.Get("FAIL")), "a failed call returns FAIL")
	assert.Equal(t, "RangeError", g.host.Get("error").Get("name").String())
}

func TestAppendString_isWhatEncodingJSONDecodes(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "tab\tnl\nnul\x00", "é 世界 🙂", "\u2028\u2029", "bad \xff utf8", "<script>&"} {
		var got string
		require.NoError(t, json.Unmarshal(appendString(nil, s), &got), "%q", s)
		assert.Equal(t, strings.ToValidUTF8(s, "\ufffd"), got, "%q", s)
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\x01é")
	f.Fuzz(func(t *testing.T, s string) {
		var got string
		if err := json.Unmarshal(appendString(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); utf8.ValidString(s) && got != want {
			t.Fatalf("%q: got %q", s, got)
		}
	})
}

func TestMiddle_findsWhatChangedBetweenCommonEnds(t *testing.T) {
	for _, c := range []struct {
		old, ids           string
		start, endOld, end int
	}{
		{"", "abc", 0, 0, 3},
		{"abc", "abc", 3, 3, 3},
		{"abc", "axc", 1, 2, 2},
		{"abc", "abxc", 2, 2, 3},
		{"abcd", "ad", 1, 3, 1},
		{"abc", "cba", 0, 3, 3},
		{"aaa", "aa", 2, 3, 2},
	} {
		s, eo, en := middle(strings.Split(c.old, ""), strings.Split(c.ids, ""))
		if c.old == "" {
			s, eo, en = middle(nil, strings.Split(c.ids, ""))
		}
		assert.Equal(t, []int{c.start, c.endOld, c.end}, []int{s, eo, en}, "%s → %s", c.old, c.ids)
	}
}

func TestCompareValues_sortsAsTheSpecSays(t *testing.T) {
	vals := []any{nil, false, true, -1.5, 2.0, "", "a", "b", map[string]any{"x": 1.0}}
	for i := range vals {
		for j := range vals {
			got := compareValues(vals[i], vals[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			assert.Equal(t, want, got, "%v vs %v", vals[i], vals[j])
		}
	}
}

// benchRig is a rig with a 1,000-todo list, for the view benchmarks.
func benchRig(b *testing.B) (*rig, *coll) {
	g := newRig(b)
	todos, err := g.cl.collection("todos")
	if err != nil {
		b.Fatal(err)
	}
	items := make([]wire.Item, 1000)
	for i := range items {
		items[i] = todoItem("t"+strconv.Itoa(i), "l1", "todo "+strconv.Itoa(i), float64(i), 1)
	}
	g.r.call(func() { todos.c.ApplyItems(items...) })
	return g, todos
}

// BenchmarkView_firstDelivery1000 is Go's part of a 1,000-item view's
// first delivery: the view (filter, sort), an effect per member, the batch.
func BenchmarkView_firstDelivery1000(b *testing.B) {
	g, todos := benchRig(b)
	for i := 0; b.Loop(); i++ {
		h := g.api.Call("vopen", todos.h, i, `{"where":{"listId":"l1"},"orderBy":["position"]}`).Int()
		g.api.Call("vclose", todos.h, h)
		g.batches()
	}
}

// BenchmarkView_oneChangeIn1000 is Go's part of one member's change.
func BenchmarkView_oneChangeIn1000(b *testing.B) {
	g, todos := benchRig(b)
	g.api.Call("vopen", todos.h, 1, `{"where":{"listId":"l1"},"orderBy":["position"]}`)
	g.batches()
	for i := 0; b.Loop(); i++ {
		it := todoItem("t500", "l1", "renamed "+strconv.Itoa(i), 500, uint64(i+2))
		g.r.call(func() { todos.c.ApplyItems(it) })
		g.batches()
	}
}

func TestTopField_readsWhatEncodingJSONReads(t *testing.T) {
	raw := []byte(` { "id" : "a", "n":-1.5e2, "s":"x\"y", "o":{"id":"inner","l":[1,"]}"]}, "t":true,"f":false,"z":null, "a\u0062":"escaped key", "l":[{"x":"}"}] } `)
	var want map[string]any
	require.NoError(t, json.Unmarshal(raw, &want))
	for _, name := range []string{"id", "n", "s", "o", "t", "f", "z", "ab", "l", "missing"} {
		got, ok := (&obj{raw: raw}).value(name)
		w, wok := want[name]
		assert.Equal(t, wok, ok, name)
		assert.Equal(t, w, got, name)
	}
}

func FuzzTopField(f *testing.F) {
	f.Add([]byte(`{"a":"x","b":[1,{"c":"}"}],"d":2}`), "b")
	f.Fuzz(func(t *testing.T, raw []byte, name string) {
		var want map[string]any
		if json.Unmarshal(raw, &want) != nil {
			return // only valid objects reach a view
		}
		got, ok := (&obj{raw: raw}).value(name)
		w, wok := want[name]
		if ok != wok || !assert.ObjectsAreEqual(w, got) {
			if _, dup := duplicateKey(raw); !dup {
				t.Fatalf("%s %q: got %v %v, want %v %v", raw, name, got, ok, w, wok)
			}
		}
	})
}

// duplicateKey reports whether raw repeats a top-level key (encoding/json
// keeps the last, topField the first; entities never repeat one).
func duplicateKey(raw []byte) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if _, err := dec.Token(); err != nil {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return "", false
		}
		ks, _ := k.(string)
		if seen[ks] {
			return ks, true
		}
		seen[ks] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return "", false
		}
	}
	return "", false
}

// BenchmarkUpdate_optimisticIn1000 is Go's part of an optimistic update
// of one member of a followed 1,000-item view, validated by the Go form.
func BenchmarkUpdate_optimisticIn1000(b *testing.B) {
	g, todos := benchRig(b)
	g.api.Call("vopen", todos.h, 1, `{"where":{"listId":"l1"},"orderBy":["position"]}`)
	g.batches()
	for i := 0; b.Loop(); i++ {
		// a different entity each time: one pending patch each, as when
		// the server answers (this rig's never does)
		g.api.Call("update", todos.h, i, "t"+strconv.Itoa(i%1000), `{"title":"renamed `+strconv.Itoa(i)+`"}`)
		g.batches()
	}
}
