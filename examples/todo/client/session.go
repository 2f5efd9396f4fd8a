package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/wire"
)

// The signed-in demo's sign-in is a demo: a name is enough (see
// backend.Demo). These calls talk to {baseURL}/session, the store's base
// URL ("/api"), through the app's transport (fetch in the browser, which
// keeps the session cookie the sign-in sets).

// SignIn signs in to the demo as name and returns the session: Token is
// what the store's requests (AuthHeader) and the WebSocket hello
// (sync.Options.Token) carry. A name that is not a user of the demo fails
// with ErrSignIn, wrapping the server's *wire.ErrorBody (its Fields["name"]
// says why).
func SignIn(ctx context.Context, t cache.Transport, baseURL, name string) (model.Session, error) {
	return session(ctx, t, "POST", baseURL, map[string]string{"name": name})
}

// CurrentSession returns the demo's users, and the user this browser is
// signed in as (its session cookie; "" for nobody): what a sign-in screen
// shows. A server running the open demo has no sessions: ErrNoSessions.
func CurrentSession(ctx context.Context, t cache.Transport, baseURL string) (model.Session, error) {
	return session(ctx, t, "GET", baseURL, nil)
}

// SignOut clears the session cookie. A client signed in with a token just
// forgets it; its store and sync client go with the user (a new user is a
// new store: clientIDs belong to one principal).
func SignOut(ctx context.Context, t cache.Transport, baseURL string) error {
	_, err := session(ctx, t, "DELETE", baseURL, nil)
	return err
}

// ErrSignIn is wrapped by the errors of the session calls the server
// refused.
var ErrSignIn = errors.New("client: the demo refused the sign-in")

// ErrNoSessions: the server runs the open demo, without users.
var ErrNoSessions = errors.New("client: the server has no sign-in (it runs the open demo)")

// AuthHeader returns the header that carries token on the store's REST
// requests: store.Options{Header: AuthHeader(s.Token)}.
func AuthHeader(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func session(ctx context.Context, t cache.Transport, method, baseURL string, in any) (model.Session, error) {
	rest := cache.REST{Transport: t, BaseURL: baseURL}
	body, err := rest.Do(ctx, method, "/session", in)
	var he *cache.HTTPError
	switch {
	case errors.As(err, &he) && he.Status == 404:
		return model.Session{}, ErrNoSessions
	case errors.As(err, &he):
		if er, derr := wire.DecodeErrorResponse(he.Body); derr == nil {
			return model.Session{}, fmt.Errorf("%w: %w", ErrSignIn, &er.Error)
		}
		return model.Session{}, fmt.Errorf("%w: %w", ErrSignIn, err)
	case err != nil:
		return model.Session{}, fmt.Errorf("client: %s session: %w", method, err)
	case method == "DELETE":
		return model.Session{}, nil
	}
	var s model.Session
	if err := json.Unmarshal(body, &s); err != nil {
		return model.Session{}, fmt.Errorf("client: %s session: %w", method, err)
	}
	return s, nil
}
