package backend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/server"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A Demo is the signed-in demo's users and its sign-in. It is a demo, not an
// identity provider: a name is enough to sign in as that user, and the
// token a client sends is that name. Anyone can be anyone; what it shows is
// that each user then syncs only what it may see.
//
// A caller names its user with "Authorization: Bearer <name>", or the
// session cookie that signing in sets (what a browser's WebSocket carries),
// or a WebSocket hello's token.
type Demo struct {
	users []string
}

// SessionCookie is the cookie the demo's sign-in sets: the user's name.
const SessionCookie = "tandem_user"

// NewDemo returns the demo of users: names of 1 to 64 of the characters
// A–Z a–z 0–9 - . _ ~ (each user's accesses are the partition of its name).
func NewDemo(users []string) (*Demo, error) {
	if len(users) == 0 {
		return nil, errors.New("backend: the demo needs at least one user")
	}
	for _, u := range users {
		if len(u) > 64 || !wire.ValidID(u) {
			return nil, fmt.Errorf("backend: %q is not a demo user name: 1 to 64 of A-Z a-z 0-9 - . _ ~", u)
		}
	}
	return &Demo{users: slices.Clone(users)}, nil
}

// Users returns the demo's users.
func (d *Demo) Users() []string { return slices.Clone(d.users) }

// Authenticate is server.Options.Authenticate: the principal is the user a
// request names (bearer token, or the session cookie); any other request is
// 401.
func (d *Demo) Authenticate(r *http.Request) (context.Context, error) {
	if name := d.userOf(r); name != "" {
		return server.WithPrincipal(r.Context(), name), nil
	}
	return nil, server.ErrUnauthorized
}

// AuthenticateWS is server.Options.AuthenticateWS: the hello's token, or
// what the upgrade request carries (the cookie a browser sends).
func (d *Demo) AuthenticateWS(r *http.Request, hello wire.Hello) (context.Context, error) {
	name := hello.Token
	if name == "" && r != nil {
		name = d.userOf(r)
	}
	if !d.isUser(name) {
		return nil, server.ErrUnauthorized
	}
	return server.WithPrincipal(context.Background(), name), nil
}

// userOf returns the demo user r names, or "".
func (d *Demo) userOf(r *http.Request) string {
	name, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		if c, err := r.Cookie(SessionCookie); err == nil {
			name = c.Value
		}
	}
	if d.isUser(name) {
		return name
	}
	return ""
}

// Sessions returns the handler of /api/session (mount it before the API's
// "/api/"): GET answers a model.Session with the users and who the caller
// is; POST {"name":"ada"} signs in as a user — the answer carries the token,
// and sets the session cookie — or answers 422 for a name that is not a
// user; DELETE signs out (clears the cookie).
func (d *Demo) Sessions() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			answer(w, http.StatusOK, model.Session{Users: d.users, Name: d.userOf(r)})
		case http.MethodPost:
			d.signIn(w, r)
		case http.MethodDelete:
			http.SetCookie(w, &http.Cookie{Name: SessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST, DELETE")
			fail(w, http.StatusMethodNotAllowed, wire.CodeMethodNotAllowed, "allowed methods: GET, HEAD, POST, DELETE", nil)
		}
	})
}

func (d *Demo) signIn(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		fail(w, http.StatusUnsupportedMediaType, wire.CodeUnsupportedMedia, "Content-Type must be application/json", nil)
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, wire.CodeBadRequest, `the body must be {"name": "<user>"}`, nil)
		return
	}
	if !d.isUser(in.Name) {
		fail(w, http.StatusUnprocessableEntity, wire.CodeInvalid, "invalid input", map[string]string{"name": "is not a user of this demo"})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: in.Name, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	answer(w, http.StatusOK, model.Session{Users: d.users, Name: in.Name, Token: in.Name})
}

func answer(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func fail(w http.ResponseWriter, status int, code, message string, fields map[string]string) {
	answer(w, status, wire.ErrorResponse{Error: wire.ErrorBody{Code: code, Message: message, Fields: fields}})
}
