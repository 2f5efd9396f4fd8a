package server

import "context"

type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying principal: who the caller is,
// as an Authenticate or AuthenticateWS hook established it (a user id, an
// account, a service name). Hooks return such a context.
//
// The server binds every clientID to the principal of the first mutation it
// records for it. From then on a mutation under that clientID from another
// principal is refused with 403 (and not recorded), stored answers go back
// to their owner only, and a WebSocket hello of another principal with that
// clientID gets lastMutationID 0. A client whose principal changes (log out,
// log in as someone else) therefore starts with a new clientID.
//
// Callers without a principal, which is every caller when no Authenticate
// hook is configured, share the anonymous principal "": the server then
// trusts whoever presents a clientID with it. That suits a single-user app
// or an API behind an authenticating proxy; a multi-user app sets a
// principal per user.
func WithPrincipal(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

// Principal returns the principal WithPrincipal stored in ctx, or "" (the
// anonymous principal).
func Principal(ctx context.Context) string {
	p, _ := ctx.Value(principalKey{}).(string)
	return p
}
