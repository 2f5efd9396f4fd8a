package store

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A Task is declared once, as the model package of an app declares its
// entities: a title unique within its project (the server's rule), and a
// check across fields that the browser must run as the server does.
type Task struct {
	ID        string `json:"id"`
	ProjectID string `json:"projectId"`
	Title     string `json:"title"`
	Points    int    `json:"points"`
	Done      bool   `json:"done"`
}

var tasks = form.Define("tasks",
	form.String("projectId", func(t *Task) *string { return &t.ProjectID }).Required(),
	form.String("title", func(t *Task) *string { return &t.Title }).Required().Length(1, 100),
	form.Int("points", func(t *Task) *int { return &t.Points }).Min(0),
	form.Bool("done", func(t *Task) *bool { return &t.Done }),
	form.Check(func(t Task) error {
		if t.Done && t.Points == 0 {
			return form.Invalid("done", "a task without points cannot be done")
		}
		return nil
	}),
).CreateOnly("projectId").Unique("title", form.Within("projectId"))

var (
	renameTask = tasks.Update().Pick("title")
	finishTask = tasks.Update().Pick("done")
)

func collectHarness(t *testing.T) (*harness, *Collection[Task]) {
	h := newHarness(t)
	c, err := Collect(h.s, tasks)
	require.NoError(t, err)
	return h, c
}

func TestCollect_refusesANameTheTypeDoesNotEncode(t *testing.T) {
	h := newHarness(t)
	typo := form.Define("typos", form.String("nmae", func(t *Task) *string { return &t.Title }))
	_, err := Collect(h.s, typo)
	assert.ErrorContains(t, err, `store: collection "typos": wire: "nmae" is not a JSON field of store.Task`)
	wrong := form.Define("wrongs", form.String("title", func(t *Task) *string { return &t.ProjectID }))
	_, err = Collect(h.s, wrong)
	assert.ErrorContains(t, err, `the form field "title" points to another field`)
	_, err = Collect(h.s, form.Define("noid", form.String("x", func(v *struct{ X string }) *string { return &v.X })))
	assert.ErrorIs(t, err, wire.ErrNoID)
}

func TestCollect_createsFromTheEntitysCreateForm(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h, c := collectHarness(t)
		add := c.Creates()
		p := add.Run(Task{ProjectID: "p1", Title: "write tests", Points: 2})
		ids := c.View().IDs()
		require.Len(t, ids, 1, "visible at once")
		id := ids[0]
		assert.True(t, wire.ValidID(id), "a client-generated id: %q", id)

		ex := h.next()
		assert.Equal(t, "POST", ex.req.Method)
		var body map[string]any
		require.NoError(t, json.Unmarshal(ex.req.Body, &body))
		assert.Equal(t, map[string]any{"id": id, "projectId": "p1", "title": "write tests", "points": 2.0, "done": false}, body,
			"the create form's fields and the id, nothing else")
		h.reply(ex, 201, wire.MutationResponse{ID: id, Version: 1, Topic: "tasks", Seq: 1, MutationID: mutationIDOf(ex),
			Data: json.RawMessage(`{"id":"` + id + `","projectId":"p1","title":"write tests","points":2,"done":false}`)})
		assert.Equal(t, Succeeded, p.Status())

		bad := add.Run(Task{Title: ""})
		var fe *form.Errors
		require.ErrorAs(t, bad.Err(), &fe)
		assert.Equal(t, map[string]string{"projectId": "is required", "title": "is required"}, fe.Fields)
		assert.Equal(t, 1, c.Len(), "nothing shown, nothing sent")
		h.none()
	})
}

func TestCollect_updatesValidateWhatTheServerValidates(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h, c := collectHarness(t)
		c.ApplyItems(wire.Item{ID: "t1", Version: 1, Data: json.RawMessage(`{"id":"t1","projectId":"p1","title":"a","points":0,"done":false}`)})
		h.s.Batch(func() {})

		// Issue 12: the picked form ran without the entity's checks, so this
		// showed at once and the server refused it.
		p := c.Updates(finishTask).Run(Task{ID: "t1", Done: true})
		var fe *form.Errors
		require.ErrorAs(t, p.Err(), &fe)
		assert.Equal(t, "a task without points cannot be done", fe.Get("done"))
		v, _ := c.Get("t1")
		assert.False(t, v.Done, "not shown")
		h.none()

		c.Updates(renameTask).Run(Task{ID: "t1", Title: "b", Done: true}) // only the form's fields count
		v, _ = c.Get("t1")
		assert.Equal(t, "b", v.Title)
		assert.False(t, v.Done)
		ex := h.next()
		assert.Equal(t, "PATCH", ex.req.Method)
		assert.JSONEq(t, `{"title":"b"}`, string(ex.req.Body))
		h.reply(ex, 422, errorBody(wire.CodeInvalid, "invalid input", map[string]string{"title": "is already used"}))
		v, _ = c.Get("t1")
		assert.Equal(t, "a", v.Title, "refused by the server's rule: rolled back")
	})
}

func TestCollect_deletesAndTheirRollback(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h, c := collectHarness(t)
		c.ApplyItems(wire.Item{ID: "t1", Version: 1, Data: json.RawMessage(`{"id":"t1","projectId":"p1","title":"a"}`)})
		h.s.Batch(func() {})
		p := c.Deletes().Run("t1")
		_, ok := c.Get("t1")
		assert.False(t, ok, "gone at once")
		ex := h.next()
		assert.Equal(t, "DELETE", ex.req.Method)
		h.reply(ex, 403, errorBody(wire.CodeForbidden, "forbidden", nil))
		_, ok = c.Get("t1")
		assert.True(t, ok, "back after the refusal")
		assert.Equal(t, Failed, p.Status())
	})
}

func TestCollect_mutationsOfACollectionWithoutADeclarationSayWhy(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		p := h.todos.Creates().Run(Todo{Title: "x"})
		assert.ErrorContains(t, p.Err(), `collection "todos" was not made by Collect`)
	})
}

func TestView_belongsToTheEffectOrScopeThatMadeIt(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		before := len(h.todos.views)
		scope := h.g.Scope(func() {
			h.todos.View(Where(func(t Todo) bool { return !t.Done }))
			GroupBy(h.todos, func(t Todo) string { return t.ListID })
		})
		assert.Len(t, h.todos.views, before+2)
		scope.Dispose()
		assert.Len(t, h.todos.views, before, "issue 12: a component's views are released with it")
		v := h.todos.View()
		assert.Len(t, h.todos.views, before+1, "outside any owner a view lives until disposed")
		v.Dispose()
		assert.Len(t, h.todos.views, before)
	})
}

func TestStore_topicsListsEveryCollectionNowAndLater(t *testing.T) {
	h := newHarness(t)
	var seen []string
	stop := h.s.Topics(func(tp Topic) { seen = append(seen, tp.Name()) })
	assert.Equal(t, []string{"todos"}, seen)
	_, err := Collect(h.s, tasks)
	require.NoError(t, err)
	assert.Equal(t, []string{"todos", "tasks"}, seen)
	stop()
	_, err = NewCollection(h.s, CollectionOptions[Todo, Todo]{Name: "later", Codec: Identity[Todo]()})
	require.NoError(t, err)
	assert.Equal(t, []string{"todos", "tasks"}, seen, "not after stop")
}
