package ui

import (
	"html"
	"slices"
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The rows of a Rows that go-app only encodes are fenced in HTML comments
// (rowsView.Render), so that HTMLString hands them on as package dom wrote
// them. Neither can come from data: go-app escapes text, package dom escapes
// text and attribute values, and HTMLString looks for them outside tags only.
const (
	rowsOpen  = "<!--tandem:rows-->"
	rowsClose = "<!--/tandem:rows-->"
)

// HTMLString returns the HTML of root for a page a server sends: what
// app.HTMLString returns, with every attribute value escaped for HTML, false
// boolean attributes left out, the attributes of each element in name order,
// and the rows of each Rows as package dom wrote them.
//
// go-app writes attribute values as Go string literals (strconv.Quote): a
// browser takes the first double quote as the value's end, backslash or not,
// so a value holding one — a list named `x" onfocus="…`, shown in a button's
// title — writes attributes of its own into the page. app.HTMLString is
// fine for markup without data in its attributes (go-app's prerendered
// shell); a page rendered with data goes through HTMLString.
//
// root is rendered as app.HTMLString renders it: nothing is mounted, so no
// OnMount, OnPreRender or OnInit runs, and the effects of its views keep
// running afterwards (see the package doc: use a graph of its own, and drop
// it). An app.Raw in root other than Rows' is taken for go-app's own markup:
// its attribute values must be double-quoted and hold no backslash.
func HTMLString(root app.UI) string {
	return escapeAttrs(app.HTMLString(root))
}

// escapeAttrs rewrites the attribute values of go-app's markup, Go string
// literals, as HTML attribute values, and drops the fences of Rows' rows,
// whose markup it copies as it is. Text needs nothing: go-app escapes it.
func escapeAttrs(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/16)
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], rowsOpen):
			start := i + len(rowsOpen)
			end := strings.Index(s[start:], rowsClose)
			if end < 0 {
				end = len(s) - start
			}
			b.WriteString(s[start : start+end])
			i = min(start+end+len(rowsClose), len(s))
		case s[i] == '<':
			i = escapeTag(&b, s, i)
		default:
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				j = len(s) - i
			}
			b.WriteString(s[i : i+j])
			i += j
		}
	}
	return b.String()
}

// escapeTag copies the tag at s[i] (go-app writes `<name attr="literal" attr>`
// and `</name>`) to b with its values escaped and its attributes in name
// order (go-app writes them in a map's order), and returns the index after
// it.
func escapeTag(b *strings.Builder, s string, i int) int {
	var attrs []htmlAttr
	for i < len(s) {
		c := s[i]
		switch {
		case c == '>':
			slices.SortFunc(attrs, func(x, y htmlAttr) int { return strings.Compare(x.name, y.name) })
			for _, a := range attrs {
				writeAttr(b, a)
			}
			b.WriteByte(c)
			return i + 1
		case c == ' ':
			j := i + 1
			for j < len(s) && !strings.ContainsRune(" =>", rune(s[j])) {
				j++
			}
			a := htmlAttr{name: s[i+1 : j], valued: j+1 < len(s) && s[j] == '=' && s[j+1] == '"'}
			i = j
			if a.valued {
				i = literalEnd(s, j+1)
				lit := s[j+1 : i]
				var err error
				if a.value, err = strconv.Unquote(lit); err != nil {
					a.value = strings.Trim(lit, `"`) // not go-app's: escaped as it is
				}
			}
			attrs = append(attrs, a)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return i
}

// An htmlAttr is an attribute of a go-app tag: valueless, or with its value.
type htmlAttr struct {
	name, value string
	valued      bool
}

// writeAttr writes one attribute of a go-app element as a browser would
// have it after go-app mounted the element. go-app sets the boolean ones as
// properties, true or false (setJSAttribute, attribute.go), but encodes
// AutoFocus(false) as autofocus="false", which a browser reads as true: a
// false one is left out.
func writeAttr(b *strings.Builder, a htmlAttr) {
	if a.valued && booleanAttr(a.name) {
		if on, _ := strconv.ParseBool(a.value); !on {
			return
		}
		a.valued = false
	}
	b.WriteByte(' ')
	b.WriteString(a.name)
	if a.valued {
		b.WriteString(`="`)
		b.WriteString(html.EscapeString(a.value))
		b.WriteByte('"')
	}
}

// booleanAttr reports whether go-app sets attribute name as a boolean
// property.
func booleanAttr(name string) bool {
	switch name {
	case "async", "autofocus", "autoplay", "checked", "default", "defer", "disabled", "hidden", "ismap",
		"loop", "multiple", "muted", "open", "readonly", "required", "reversed", "selected":
		return true
	}
	return false
}

// literalEnd returns the index after the Go string literal at s[i] (a double
// quote), or len(s) if it does not end.
func literalEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(s)
}
