package store

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEscape_matchesNetURL(t *testing.T) {
	for _, s := range []string{"", "todos", "a b", "a/b", "a;b,c?d", "$&+:=@", "100%", "é ü", "a+b", "~-._", "\x00\x7f\xff", "0123abcXYZ"} {
		assert.Equal(t, url.PathEscape(s), pathEscape(s), "path %q", s)
		assert.Equal(t, url.QueryEscape(s), queryEscape(s), "query %q", s)
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("a b/c?d")
	f.Fuzz(func(t *testing.T, s string) {
		if url.PathEscape(s) != pathEscape(s) || url.QueryEscape(s) != queryEscape(s) {
			t.Fatalf("%q: path %q want %q, query %q want %q", s, pathEscape(s), url.PathEscape(s), queryEscape(s), url.QueryEscape(s))
		}
	})
}
