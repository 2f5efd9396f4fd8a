package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 12's goal: one entity with CRUD, its forms, optimistic updates with
// rollback, realtime and server rules in at most 40 lines of Go in all; and
// a README that shows the count the code has.
func TestEveryExampleEntityFitsIn40LinesAndTheREADMESaysSo(t *testing.T) {
	counts, features, glue, err := countAll("../..")
	require.NoError(t, err)
	require.Len(t, counts, 3)
	require.Len(t, features, 1)
	for i, n := range features[0].Lines {
		assert.Positive(t, n, "%s: part %d counted nothing", features[0].Entity, i)
	}
	for _, c := range counts {
		assert.LessOrEqual(t, c.Total(), 40, "%s %s", c.Example, c.Entity)
		for i, n := range c.Lines {
			assert.Positive(t, n, "%s %s: part %d counted nothing", c.Example, c.Entity, i)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(readme), "<!-- linecount -->\n")
	require.True(t, ok, "the README marks the table")
	got, _, ok := strings.Cut(rest, "<!-- /linecount -->")
	require.True(t, ok)
	assert.Equal(t, table(counts, features, glue), got, "run make lines and paste its table into the README")
}

func TestAttribute(t *testing.T) {
	dir := t.TempDir()
	src := `package x

import "fmt"

// A Widget is counted for widgets.
type Widget struct {
	ID string // a comment after code still counts the line

	Name string
}

/* a block
comment */
func Register() error {
	fmt.Println(Widget{}, Gadget{}) // both
	return nil
}

type Gadget struct{}
`
	f := dir + "/x.go"
	require.NoError(t, os.WriteFile(f, []byte(src), 0o600))
	got, err := attribute(f, [][2]string{{"widgets", "Widget"}, {"gadgets", "Gadget"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"widgets": 5, "gadgets": 2, "": 3}, got)
}
