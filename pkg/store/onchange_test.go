package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/wire"
)

func TestOnChange_reportsEachVisibleChangeOnceAtTheEndOfTheOperation(t *testing.T) {
	g := state.NewGraph(state.WithScheduler(func(fn func()) { fn() }))
	s, err := store.New(store.Options{Graph: g})
	require.NoError(t, err)
	c, err := store.NewCollection(s, store.CollectionOptions[map[string]any, map[string]any]{Name: "things", Codec: store.Identity[map[string]any]()})
	require.NoError(t, err)
	type change struct {
		id    string
		title any
		ok    bool
	}
	var got []change
	stop := c.OnChange(func(id string, v map[string]any, ok bool) { got = append(got, change{id, v["title"], ok}) })
	s.Batch(func() {
		c.ApplyItems(wire.Item{ID: "a", Version: 1, Data: []byte(`{"id":"a","title":"one"}`)})
		c.ApplyItems(wire.Item{ID: "a", Version: 2, Data: []byte(`{"id":"a","title":"two"}`)})
		assert.Empty(t, got, "not before the operation ends")
	})
	assert.Equal(t, []change{{"a", "two", true}}, got, "once, with the value it ended with")
	got = nil
	c.ApplyItems(wire.Item{ID: "a", Version: 3, Data: []byte(`{"id":"a","title":"two"}`)})
	assert.Empty(t, got, "an equal value is no change")
	c.ApplyItems(wire.Item{ID: "a", Version: 4, Deleted: true})
	assert.Equal(t, []change{{"a", nil, false}}, got)
	stop()
	stop()
	got = nil
	c.ApplyItems(wire.Item{ID: "b", Version: 1, Data: []byte(`{"id":"b"}`)})
	assert.Empty(t, got, "stopped")
}
