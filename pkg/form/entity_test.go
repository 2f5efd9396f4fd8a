package form_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
)

type board struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	OwnerID string `json:"ownerId"`
	Closed  bool   `json:"closed"`
}

var (
	boardName  = form.String("name", func(b *board) *string { return &b.Name }).Required()
	boardOwner = form.String("ownerId", func(b *board) *string { return &b.OwnerID }).Required()
	boardOpen  = form.Bool("closed", func(b *board) *bool { return &b.Closed })
)

func TestDefine_oneSetOfFieldsForCreatesAndUpdates(t *testing.T) {
	e := form.Define("boards", boardName, boardOwner, boardOpen)
	assert.Equal(t, "boards", e.Name())
	assert.Equal(t, []string{"name", "ownerId", "closed"}, e.Create().Names())
	assert.Equal(t, []string{"name", "ownerId", "closed"}, e.Update().Names())

	e = form.Define("boards", boardName, boardOwner, boardOpen).CreateOnly("ownerId").UpdateOnly("closed")
	assert.Equal(t, []string{"name", "ownerId"}, e.Create().Names())
	assert.Equal(t, []string{"name", "closed"}, e.Update().Names())
	assert.Nil(t, form.Define("boards", boardName).ReadOnly().Update())

	assert.PanicsWithValue(t, `form: invalid collection name "Boards"`, func() { form.Define("Boards", boardName) })
	assert.Panics(t, func() { form.Define("boards", boardName).CreateOnly("nope") })
}

func TestDefine_rulesAndTheNamesTheyMention(t *testing.T) {
	users := form.Define("users", form.String("name", func(b *board) *string { return &b.Name }))
	e := form.Define("boards", boardName, boardOwner).
		Ref("ownerId", users, form.Cascade).
		Unique("name", form.Within("ownerId"), form.Folded, form.Says("is taken")).
		Stamp("updatedAt")
	assert.Equal(t, []form.Ref{{Field: "ownerId", To: "users", Cascade: true}}, e.Refs())
	assert.Equal(t, []form.Unique{{Field: "name", Within: []string{"ownerId"}, Folded: true, Message: "is taken"}}, e.Uniques())
	assert.Equal(t, []string{"updatedAt"}, e.Stamps())
	assert.Equal(t, []string{"name", "ownerId", "updatedAt"}, e.Names(), "each once, for registration to check")
	assert.Equal(t, "is already used", form.Define("x", boardName).Unique("name").Uniques()[0].Message)

	var b board
	assert.Same(t, &b.OwnerID, e.Addr(&b, "ownerId"))
	assert.Nil(t, e.Addr(&b, "updatedAt"), "a stamp belongs to no form")
}

func TestSchema_copySetsTheFormsFieldsOnly(t *testing.T) {
	s := form.New(boardName, boardOpen)
	dst := board{ID: "b1", Name: "old", OwnerID: "u1"}
	s.Copy(&dst, board{Name: "new", OwnerID: "someone else", Closed: true})
	assert.Equal(t, board{ID: "b1", Name: "new", OwnerID: "u1", Closed: true}, dst)
	require.Nil(t, s.Addr(&dst, "ownerId"))
}

func ExampleDefine() {
	boards := form.Define("boards", boardName, boardOwner).CreateOnly("ownerId")
	rename := boards.Update().Pick("name")
	fmt.Println(boards.Create().Names(), boards.Update().Names(), rename.Names())
	fmt.Println(rename.Validate(board{}))
	// Output:
	// [name ownerId] [name] [name]
	// form: name: is required
}

func TestPartition_isDeclaredOnceAndNamedForTheLayoutCheck(t *testing.T) {
	e := form.Define("boards", boardName, boardOwner)
	assert.Equal(t, "", e.PartitionField(), "synced whole unless declared")
	e = form.Define("boards", boardName, boardOwner).Partition("ownerId").Stamp("updatedAt")
	assert.Equal(t, "ownerId", e.PartitionField())
	assert.Equal(t, []string{"name", "ownerId", "updatedAt"}, e.Names())
	assert.Equal(t, []string{"name", "ownerId", "id"}, form.Define("boards", boardName, boardOwner).Partition("id").Names(),
		"an entity partitioned by its own id")
}
