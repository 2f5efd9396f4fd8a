package state

// A Scope owns the effects created in its Run, so that a group of effects
// (a component, a page, a test) can be disposed at once. Scopes nest: a scope
// created in an effect or another scope is owned by it.
type Scope struct {
	own owner
	g   *Graph
}

// NewScope returns an empty scope owned by the running effect or scope, if
// any.
func (g *Graph) NewScope() *Scope {
	s := &Scope{g: g}
	g.adopt(&s.own)
	return s
}

// Scope returns a new scope after running fn in it.
func (g *Graph) Scope(fn func()) *Scope {
	s := g.NewScope()
	s.Run(fn)
	return s
}

// Run calls fn with s as the owner of the effects, scopes and cleanups fn
// creates. After Dispose, Run still calls fn but disposes what it created
// before returning: nothing outlives a disposed scope.
func (s *Scope) Run(fn func()) {
	g := s.g
	prev := g.activeOwner
	g.activeOwner = &s.own
	defer func() {
		g.activeOwner = prev
		if s.own.disposed {
			s.own.disposed = false
			g.dispose(&s.own)
		}
	}()
	fn()
}

// Dispose disposes every effect and scope s owns, newest first, and runs its
// cleanups. Disposing twice is a no-op.
func (s *Scope) Dispose() { s.g.dispose(&s.own) }
