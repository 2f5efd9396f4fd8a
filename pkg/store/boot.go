package store

import (
	"fmt"

	"github.com/tandemkit/tandem/pkg/wire"
)

// loadBoot starts topic t from its snapshot of Options.Boot, if there is one
// and Storage's copy, loaded already, is not as new (see Options.Boot).
func (s *Store) loadBoot(t Topic) {
	snap, ok := s.boot[t.Name()]
	if !ok {
		return
	}
	delete(s.boot, t.Name())
	if err := checkBoot(snap); err != nil {
		s.report(err)
		return
	}
	cur := t.Cursor()
	if cur.Epoch == snap.Epoch && cur.Seq >= snap.Seq {
		return // the tab's copy is at least as new
	}
	t.Replace(snap.Items, snap.Epoch, snap.Seq, cur.Epoch != "" && cur.Epoch != snap.Epoch)
}

// checkBoot reports why snap cannot stand for its topic's whole state.
func checkBoot(snap wire.Snapshot) error {
	switch {
	case snap.Part != 0 || !snap.Last:
		return fmt.Errorf("store: boot snapshot of %s: part %d of several, not a whole", snap.Topic, snap.Part)
	case !wire.ValidEpoch(snap.Epoch):
		return fmt.Errorf("store: boot snapshot of %s: invalid epoch %q", snap.Topic, snap.Epoch)
	}
	for _, it := range snap.Items {
		if it.Stale() {
			return fmt.Errorf("store: boot snapshot of %s: item %s without its data", snap.Topic, it.ID)
		}
	}
	return nil
}
