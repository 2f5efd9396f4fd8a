package cache

// scheduleGC arms the query's removal after its GCTime if nothing observes
// it. The removal happens only if, when the timer fires, the query still has
// no observers and no fetch (TanStack's Removable and optionalRemove).
func (q *query) scheduleGC() {
	q.clearGC()
	if len(q.obs) > 0 || q.gcTime < 0 || q.removed || q.c.closed {
		return
	}
	q.gcGen++
	gen := q.gcGen
	c := q.c
	q.gcStop = c.clock.AfterFunc(q.gcTime, func() {
		c.lock()
		if q.gcGen == gen && !q.removed {
			q.gcStop = nil
			if len(q.obs) == 0 && q.state.fetchStatus == FetchIdle {
				c.removeQuery(q)
			}
		}
		c.unlock()
	})
}

func (q *query) clearGC() {
	q.gcGen++
	if q.gcStop != nil {
		q.gcStop()
		q.gcStop = nil
	}
}

// scheduleGC arms the mutation's removal after its GCTime once it has
// settled and nothing observes it.
func (m *mutation) scheduleGC() {
	m.clearGC()
	if len(m.obs) > 0 || m.gcTime < 0 || m.removed || m.c.closed || m.state.status == MutationPending {
		return
	}
	m.gcGen++
	gen := m.gcGen
	c := m.c
	m.gcStop = c.clock.AfterFunc(m.gcTime, func() {
		c.lock()
		if m.gcGen == gen && !m.removed {
			m.gcStop = nil
			if len(m.obs) == 0 && m.state.status != MutationPending {
				c.removeMutation(m)
			}
		}
		c.unlock()
	})
}

func (m *mutation) clearGC() {
	m.gcGen++
	if m.gcStop != nil {
		m.gcStop()
		m.gcStop = nil
	}
}
