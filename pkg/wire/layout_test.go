package wire_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

type base struct {
	ID        string    `json:"id"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type note struct {
	base
	Title   string `json:"title"`
	Body    string `json:"body,omitempty"`
	Secret  string `json:"-"`
	Plain   int
	private int
}

func TestLayout(t *testing.T) {
	l, err := wire.LayoutOf[note]()
	require.NoError(t, err)
	for _, n := range []string{"id", "updatedAt", "title", "body", "Plain"} {
		assert.True(t, l.Has(n), n)
	}
	for _, n := range []string{"Secret", "-", "private", "base", "Title"} {
		assert.False(t, l.Has(n), n)
	}
	v := note{private: 1} // not encoded: unexported
	*l.ID(&v) = "n1"
	assert.Equal(t, "n1", v.ID, "ID points into embedded structs")
	*l.Field(&v, "title").(*string) = "hello"
	assert.Equal(t, "hello", v.Title)
	assert.Equal(t, &v.UpdatedAt, l.Field(&v, "updatedAt"))

	t.Run("a name T does not encode is refused, naming it", func(t *testing.T) {
		err := l.Check([]string{"title", "nmae"}, nil)
		assert.ErrorContains(t, err, `"nmae" is not a JSON field of wire_test.note`)
	})
	t.Run("a getter pointing to another field than the name is refused", func(t *testing.T) {
		addr := func(v *note, name string) any {
			if name == "title" {
				return &v.Body // the wrong field
			}
			return nil
		}
		assert.ErrorContains(t, l.Check([]string{"title"}, addr), `the form field "title" points to another field`)
		right := func(v *note, name string) any { return &v.Title }
		assert.NoError(t, l.Check([]string{"title"}, right))
	})
	t.Run("a type without a string id is refused", func(t *testing.T) {
		_, err := wire.LayoutOf[struct {
			ID int `json:"id"`
		}]()
		assert.ErrorIs(t, err, wire.ErrNoID)
		_, err = wire.LayoutOf[string]()
		assert.Error(t, err)
	})
}
