package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// dialHost opens a WebSocket naming host in its Host header and origin in
// its Origin header, and returns the handshake's status.
func dialHost(t *testing.T, env *testEnv, host, origin string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.http.URL, "http")+"/api/ws",
		&websocket.DialOptions{Host: host, HTTPHeader: h, Subprotocols: []string{wire.Subprotocol}})
	if err == nil {
		c.Close(websocket.StatusNormalClosure, "")
	}
	require.NotNil(t, res, "%v", err)
	return res.StatusCode
}

// Finding 3: nothing checked Host, and the WebSocket Origin check compared
// the Origin with the request's own Host. A page of any site the user
// visits could make its own name resolve to 127.0.0.1 (DNS rebinding) and
// then read and change the data of a server running there.
func TestHost_dnsRebindingFailsOnEveryRoute(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	env.mustCreate("lists", `{"id":"l1","name":"mine"}`)
	port := env.http.URL[strings.LastIndex(env.http.URL, ":"):]
	rebound := "rebind.attacker.example" + port
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/api/lists", ""},
		{"GET", "/api/lists/l1", ""},
		{"POST", "/api/lists", `{"id":"l2","name":"theirs"}`},
		{"PATCH", "/api/lists/l1", `{"name":"theirs"}`},
		{"DELETE", "/api/lists/l1", ""},
		{"GET", "/api/nope", ""},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := env.do(tc.method, tc.path, body, "Host", rebound, "Origin", "http://"+rebound)
		assert.Equal(t, http.StatusForbidden, r.status, "%s %s: %s", tc.method, tc.path, r.body)
		assert.NotContains(t, string(r.body), "mine")
	}
	assert.Equal(t, http.StatusForbidden, dialHost(t, env, rebound, "http://"+rebound), "the WebSocket too")
	it, err := wire.DecodeItem(env.do("GET", "/api/lists/l1", nil).body)
	require.NoError(t, err)
	assert.JSONEq(t, `"mine"`, string(mustField(t, it.Data, "name")), "nothing changed")

	assert.Equal(t, http.StatusSwitchingProtocols, dialHost(t, env, "localhost"+port, "http://localhost"+port))
	assert.Equal(t, http.StatusOK, env.do("GET", "/api/lists", nil, "Host", "localhost"+port).status)
}

func TestHost_theAllowListHoldsLoopbackNamesAndConfiguredOnes(t *testing.T) {
	p := newHostPolicy([]string{"app.example.com", "*.example.org", "[2001:db8::1]", "203.0.113.5."})
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:8080": true, "localhost.": true,
		"127.0.0.1": true, "127.0.0.1:8080": true, "127.9.9.9:1": true, "[::1]:8080": true, "[::ffff:127.0.0.1]": true,
		"app.example.com": true, "App.Example.Com:443": true, "a.example.org": true, "a.b.example.org:80": true,
		"[2001:db8::1]:443": true, "203.0.113.5": true,

		"": false, ":8080": false, "example.org": false, "attacker.example": false, "localhost.attacker.example": false,
		"127.0.0.1.nip.io": false, "[::2]": false, "10.0.0.1": false, "app.example.com.attacker.example": false,
		"xexample.org": false,
	} {
		assert.Equal(t, want, p.allows(host), "%q", host)
	}
	assert.True(t, newHostPolicy([]string{"*"}).allows("anything.example"))
}

// Finding 7: -origins '*' also admitted Origin: null (sandboxed iframes,
// file pages, data: URLs).
func TestB30_originNullIsRefusedEvenWithAWildcardPattern(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{OriginPatterns: []string{"*"}})
	assert.Equal(t, http.StatusForbidden, dialHost(t, env, "", "null"))
	assert.Equal(t, http.StatusForbidden, dialHost(t, env, "", "file://"))
	assert.Equal(t, http.StatusSwitchingProtocols, dialHost(t, env, "", "https://anywhere.example"), "'*' still allows web origins")
}

func TestB30_theServersOwnOriginCountsOnlyUnderAnAllowedHost(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{AllowedHosts: []string{"app.example.com"}})
	port := env.http.URL[strings.LastIndex(env.http.URL, ":"):]
	assert.Equal(t, http.StatusSwitchingProtocols, dialHost(t, env, "app.example.com"+port, "http://app.example.com"+port))
	assert.Equal(t, http.StatusForbidden, dialHost(t, env, "app.example.com"+port, "http://app.example.com:1"), "another port is another origin")
	assert.Equal(t, http.StatusForbidden, dialHost(t, env, "app.example.com"+port, "http://localhost"+port), "another name is another origin")
}

func TestCheckHost_guardsAnyHandler(t *testing.T) {
	s := New(NewMemStore(), Options{Logger: quietLogger(), Bus: &LocalBus{}})
	t.Cleanup(func() { require.NoError(t, s.Shutdown(context.Background())) })
	h := s.CheckHost(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("page")) }))
	for host, want := range map[string]int{"localhost:8080": 200, "rebind.attacker.example:8080": 403} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, want, rec.Code, host)
	}
}

func FuzzHostAndOrigin(f *testing.F) {
	for _, s := range [][2]string{{"localhost:1", "http://localhost:1"}, {"127.0.0.1", "null"}, {"[::1]:80", "http://[::1]:80"},
		{"a.example.org", "https://a.example.org"}, {"", ""}, {"x", "http://%zz"}, {"app.example.com", "http://user@app.example.com"}} {
		f.Add(s[0], s[1])
	}
	s := &Server{opts: Options{OriginPatterns: []string{"*.trusted.example", "https://exact.example"}}, hosts: newHostPolicy([]string{"app.example.com", "*.example.org"})}
	f.Fuzz(func(t *testing.T, host, origin string) {
		allowed := s.hosts.allows(host)
		if allowed && hostName(host) == "" {
			t.Fatalf("empty host %q allowed", host)
		}
		r := &http.Request{Host: host, Header: http.Header{"Origin": {origin}}}
		if s.originAllowed(r) && origin != "" {
			if strings.EqualFold(strings.TrimSpace(origin), "null") {
				t.Fatalf("origin null allowed for host %q", host)
			}
			if !strings.HasPrefix(origin, "http://") && !strings.HasPrefix(origin, "https://") {
				t.Fatalf("origin %q of another scheme allowed", origin)
			}
		}
	})
}
