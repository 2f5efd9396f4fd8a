package server

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A hostPolicy decides which Host names a Server answers for: the loopback
// names always, plus Options.AllowedHosts.
type hostPolicy struct {
	any      bool            // "*": every host
	exact    map[string]bool // lowercase names
	suffixes []string        // ".example.com" for "*.example.com"
}

func newHostPolicy(patterns []string) hostPolicy {
	p := hostPolicy{exact: map[string]bool{"localhost": true}}
	for _, pat := range patterns {
		pat = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(pat)), ".")
		switch {
		case pat == "":
		case pat == "*":
			p.any = true
		case strings.HasPrefix(pat, "*."):
			p.suffixes = append(p.suffixes, pat[1:])
		default:
			p.exact[strings.Trim(pat, "[]")] = true
		}
	}
	return p
}

// hostName returns the name of a Host header value without its port and
// brackets, lowercase and without a trailing dot.
func hostName(hostport string) string {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}

// allows reports whether the policy answers for a Host header value.
func (p hostPolicy) allows(hostport string) bool {
	name := hostName(hostport)
	if name == "" {
		return false
	}
	if p.any || p.exact[name] {
		return true
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		return ip.Unmap().IsLoopback()
	}
	for _, suf := range p.suffixes {
		if strings.HasSuffix(name, suf) && len(name) > len(suf) {
			return true
		}
	}
	return false
}

var errHostNotAllowed = &Error{Status: http.StatusForbidden, Code: wire.CodeForbidden, Message: "this server does not answer for the host named in the request"}

// CheckHost wraps h (static files served beside the API, say) in the Host
// allow-list that Handler applies to the API: a request whose Host is not a
// loopback name or one of Options.AllowedHosts gets 403. Mount the whole
// site behind it so that DNS rebinding fails on every route.
func (s *Server) CheckHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts.allows(r.Host) {
			s.log.Info("request for a host not allowed", "method", r.Method, "path", r.URL.Path, "host", clip(r.Host, 100))
			w.Header().Set("Connection", "close")
			writeError(w, errHostNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// originAllowed decides a WebSocket handshake's Origin. No Origin is not a
// browser, and is allowed. Otherwise the Origin must be an http or https
// URL with a host ("null", sent by sandboxed and file pages, never is), and
// either be this server under an allowed name (the request's own host and
// port, which CheckHost has checked) or match Options.OriginPatterns.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) && s.hosts.allows(u.Host) {
		return true
	}
	for _, pat := range s.opts.OriginPatterns {
		target := u.Host
		if strings.Contains(pat, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, err := path.Match(strings.ToLower(pat), strings.ToLower(target)); err == nil && ok {
			return true
		}
	}
	return false
}
