package store

// pathEscape and queryEscape are net/url's PathEscape and QueryEscape, the
// only parts of net/url the store needs: linking net/url costs a browser
// build about 20 KB (brotli), net/netip and unique included.
// TestEscape_matchesNetURL checks them against net/url.

// pathEscape escapes s for one path segment, as url.PathEscape does.
func pathEscape(s string) string { return escape(s, false) }

// queryEscape escapes s for a query value, as url.QueryEscape does.
func queryEscape(s string) string { return escape(s, true) }

func escape(s string, query bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if shouldEscape(s[i], query) && !(query && s[i] == ' ') {
			n++
		}
	}
	if n == 0 && (!query || !containsSpace(s)) {
		return s
	}
	const upperhex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case query && c == ' ':
			b = append(b, '+')
		case shouldEscape(c, query):
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func containsSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return true
		}
	}
	return false
}

// shouldEscape is net/url's rule for a path segment or a query component.
func shouldEscape(c byte, query bool) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return false
	}
	switch c {
	case '-', '_', '.', '~':
		return false
	case '$', '&', '+', ',', '/', ':', ';', '=', '?', '@':
		if query {
			return true
		}
		return c == '/' || c == ';' || c == ',' || c == '?'
	}
	return true
}
