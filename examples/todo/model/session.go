package model

// A Session is what the signed-in demo's /api/session says: the demo's
// users, who this caller is signed in as (Name, "" for nobody), and, in
// the answer to a sign-in, the Token the client sends with every request
// (Authorization: Bearer <token>) and in the WebSocket hello. It is a demo:
// a name is enough to sign in as anyone, and the token is that name.
type Session struct {
	Users []string `json:"users,omitempty"`
	Name  string   `json:"name"`
	Token string   `json:"token,omitempty"`
}
