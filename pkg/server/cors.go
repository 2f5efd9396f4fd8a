package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tandemkit/tandem/pkg/wire"
)

// corsMethods and corsHeaders are what a page on another origin may send:
// the API's methods, and the headers of PROTOCOL.md §2 plus Authorization.
const (
	corsMethods = "GET, POST, PATCH, DELETE"
	corsHeaders = "Content-Type, Authorization, If-Match, X-Client-ID, X-Mutation-ID"
)

// cors lets pages on the origins of Options.OriginPatterns — a static build
// of the app hosted elsewhere — call the REST API: it answers their
// preflight requests and marks their answers readable. Same-origin
// requests, and requests without an Origin (not a browser), pass untouched;
// a foreign origin not allowed gets no CORS headers, so the browser keeps
// the answer from it, and 403 on a preflight. Cookies are not sent across
// origins: authenticate such a site with the Authorization header.
func (s *Server) cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || sameOrigin(origin, r) {
			h.ServeHTTP(w, r)
			return
		}
		allowed := s.originAllowed(r)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if allowed {
			hd := w.Header()
			hd.Set("Access-Control-Allow-Origin", origin)
			hd.Add("Vary", "Origin")
			hd.Set("Access-Control-Expose-Headers", "Retry-After")
		}
		if !preflight {
			h.ServeHTTP(w, r)
			return
		}
		if !allowed {
			writeError(w, &Error{Status: http.StatusForbidden, Code: wire.CodeForbidden, Message: "this origin may not call the API"})
			return
		}
		hd := w.Header()
		hd.Set("Access-Control-Allow-Methods", corsMethods)
		hd.Set("Access-Control-Allow-Headers", corsHeaders)
		hd.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

// sameOrigin reports whether origin is the request's own scheme-less host.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
