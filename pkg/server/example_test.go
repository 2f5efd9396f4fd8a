package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/wire"
)

type Note struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Notes is declared once, in a package the browser imports too: its form
// fields and a rule only the server can check.
var Notes = form.Define("notes",
	form.String("text", func(n *Note) *string { return &n.Text }).Required().Length(1, 500),
).Unique("text", form.Folded)

// Register an entity declared once; get the REST API and the stream.
func ExampleRegister() {
	store := server.NewMemStore() // server.OpenSQLite("app.db", server.SQLiteOptions{}) in production
	s := server.New(store, server.Options{})
	defer s.Shutdown(context.Background())
	if err := server.Register(s, Notes); err != nil {
		fmt.Println(err)
		return
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()

	send := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(wire.HeaderClientID, "0123456789abcdef0123456789abcdef")
		req.Header.Set(wire.HeaderMutationID, "1")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, maskEpoch(b)
	}
	fmt.Println(send("POST", "/api/notes", `{"id":"n1","text":"hello"}`))
	fmt.Println(send("POST", "/api/notes", `{"id":"n1","text":"hello"}`)) // a retry
	post := func(body string) {
		req, _ := http.NewRequest("POST", hs.URL+"/api/notes", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, _ := http.DefaultClient.Do(req)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, string(b))
	}
	post(`{"id":"n2","text":""}`)
	post(`{"id":"n3","text":" Hello"}`)
	// Output:
	// 201 {"id":"n1","version":1,"data":{"id":"n1","text":"hello"},"topic":"notes","seq":1,"epoch":"…","mutationID":1,"duplicate":false}
	// 201 {"id":"n1","version":1,"data":{"id":"n1","text":"hello"},"topic":"notes","seq":1,"epoch":"…","mutationID":1,"duplicate":true}
	// 422 {"error":{"code":"invalid","message":"invalid input","fields":{"text":"is required"}}}
	// 422 {"error":{"code":"invalid","message":"invalid input","fields":{"text":"is already used"}}}
}

// Name each caller's principal in Authenticate: a clientID then belongs to
// the user whose mutation first used it, and nobody else can use it.
func ExampleWithPrincipal() {
	store := server.NewMemStore()
	s := server.New(store, server.Options{
		Authenticate: func(r *http.Request) (context.Context, error) {
			user := r.Header.Get("Authorization") // a real app checks a session or a token
			if user == "" {
				return nil, server.ErrUnauthorized
			}
			return server.WithPrincipal(r.Context(), user), nil
		},
	})
	defer s.Shutdown(context.Background())
	if err := server.Register(s, Notes); err != nil {
		fmt.Println(err)
		return
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()

	post := func(user, mutationID, body string) {
		req, _ := http.NewRequest("POST", hs.URL+"/api/notes", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", user)
		req.Header.Set(wire.HeaderClientID, "0123456789abcdef0123456789abcdef")
		req.Header.Set(wire.HeaderMutationID, mutationID)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		fmt.Println(user, res.StatusCode, maskEpoch(b))
	}
	post("alice", "1", `{"id":"n1","text":"alice's note"}`)
	post("bob", "1", `{"id":"n2","text":"bob replays alice's mutation"}`)
	post("alice", "2", `{"id":"n2","text":"alice goes on"}`)
	// Output:
	// alice 201 {"id":"n1","version":1,"data":{"id":"n1","text":"alice's note"},"topic":"notes","seq":1,"epoch":"…","mutationID":1,"duplicate":false}
	// bob 403 {"error":{"code":"forbidden","message":"X-Client-ID belongs to another principal: use a clientID of your own"}}
	// alice 201 {"id":"n2","version":2,"data":{"id":"n2","text":"alice goes on"},"topic":"notes","seq":2,"epoch":"…","mutationID":2,"duplicate":false}
}

// maskEpoch hides the topic's epoch, random per store, from the examples'
// output.
func maskEpoch(b []byte) string {
	return regexp.MustCompile(`"epoch":"[^"]*"`).ReplaceAllString(string(b), `"epoch":"…"`)
}

// Serve the API through Transport's limits: the http.Server's timeouts and
// header limit, and a listener that caps connections in all and per
// address. The zero Transport means the defaults.
func ExampleTransport() {
	s := server.New(server.NewMemStore(), server.Options{})
	defer s.Shutdown(context.Background())
	var t server.Transport
	hs := t.HTTPServer(s.Handler(), nil)
	d := t.Defaults()
	fmt.Println(hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout, hs.MaxHeaderBytes)
	fmt.Println(d.MaxConns, d.MaxConnsPerAddr)
	// Output:
	// 10s 30s 1m0s 1m0s 16384
	// 4096 256
}
