package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCORS_aPageOnAnAllowedOriginCallsTheAPI(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{OriginPatterns: []string{"127.0.0.1:9000"}})
	const site = "http://127.0.0.1:9000"

	pre := env.do("OPTIONS", "/api/lists", nil, "Origin", site, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,x-client-id,x-mutation-id")
	require.Equal(t, http.StatusNoContent, pre.status)
	assert.Equal(t, site, pre.header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, corsMethods, pre.header.Get("Access-Control-Allow-Methods"))
	assert.Contains(t, pre.header.Get("Access-Control-Allow-Headers"), "X-Mutation-ID")

	r := env.do("POST", "/api/lists", `{"id":"l1","name":"a"}`, append(mut(client1, 1), "Origin", site)...)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	assert.Equal(t, site, r.header.Get("Access-Control-Allow-Origin"), "the answer is readable by the page")
	assert.Contains(t, r.header.Values("Vary"), "Origin")
}

func TestCORS_anotherOriginGetsNothingReadable(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{OriginPatterns: []string{"127.0.0.1:9000"}})
	pre := env.do("OPTIONS", "/api/lists", nil, "Origin", "http://evil.example", "Access-Control-Request-Method", "DELETE")
	assert.Equal(t, http.StatusForbidden, pre.status)
	assert.Empty(t, pre.header.Get("Access-Control-Allow-Origin"))
	r := env.do("GET", "/api/lists", nil, "Origin", "http://evil.example")
	assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"), "the browser keeps the answer from that page")
	r = env.do("GET", "/api/lists", nil, "Origin", "null")
	assert.Empty(t, r.header.Get("Access-Control-Allow-Origin"))
	same := env.do("GET", "/api/lists", nil, "Origin", env.http.URL)
	assert.Equal(t, http.StatusOK, same.status)
	assert.Empty(t, same.header.Get("Access-Control-Allow-Origin"), "same origin needs no CORS")
}
