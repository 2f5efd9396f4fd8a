package board

import (
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/ui"
)

// The signed-in demo's board is the open demo's, with boards for lists: the
// user's own and those shared with it in two sections of the sidebar, one
// board open at a time — the only one it syncs the todos of — and what
// happens when its access goes.

// signedIn sets up the signed-in user's board: the boards it may see, the
// first one open until the user picks another, and the open one synced.
func (a *App) signedIn() {
	g := a.RT.Graph()
	a.dropped = map[string]bool{}
	a.lists = a.Boards.Visible()
	accesses := a.Boards.Accesses
	all := accesses.View()
	a.stops = append(a.stops, all.Dispose)
	loaded := false // once loaded, always: a board shared later just appears
	a.loaded = state.NewComputed(g, func() bool {
		if loaded {
			return true
		}
		if accesses.Partition(a.user.Name).Status != store.PartitionLive {
			return false
		}
		// Each board arrives in a partition of its own, opened after its
		// access arrived: wait for them, so that the sidebar does not fill
		// in one by one, and the first board is the first in order.
		for _, x := range all.Items() {
			if st := a.Lists.Partition(x.ListID).Status; st == store.PartitionClosed || st == store.PartitionOpening {
				return false
			}
		}
		loaded = true
		return true
	})
	a.owned = state.NewComputedFunc(g, func() []string { return a.section(true) }, slices.Equal)
	a.shared = state.NewComputedFunc(g, func() []string { return a.section(false) }, slices.Equal)
	a.anyOpen = state.NewComputed(g, func() bool { return a.open.Get() != "" })
	// The first board opens, once they are all there, until the user picks
	// one; a board that goes away stays open, for main to say why (its
	// access was revoked), until the user picks another.
	a.stops = append(a.stops, state.Watch(g, func() string {
		if a.open.Get() != "" || !a.loaded.Get() {
			return ""
		}
		return a.firstBoard()
	}, func(_, first string) {
		if first != "" {
			a.open.Set(first)
		}
	}).Dispose)
	// The open board is the one synced: Boards.Open when it opens, its
	// close when another does. A board just created here opens once the
	// server has it: a subscription before that would be refused. A board
	// whose access went stays open (its status says why) until another
	// opens, or until it comes back — shared again — when it opens anew.
	a.stops = append(a.stops, state.Watch(g, func() openBoard {
		id := a.open.Get()
		_, visible := a.Lists.Get(id)
		if visible && a.Lists.IsPending(id) {
			if _, _, confirmed := a.Lists.Confirmed(id); !confirmed {
				return openBoard{}
			}
		}
		return openBoard{id, visible}
	}, func(old, now openBoard) {
		if now.id == old.id && now.id != "" && (!now.visible || old.visible) {
			return
		}
		if a.closeBoard != nil {
			a.closeBoard()
			a.closeBoard = nil
		}
		if now.id == "" {
			return
		}
		close, err := a.Boards.Open(now.id)
		if err != nil {
			a.notify("Couldn't open the board: " + err.Error())
			return
		}
		a.closeBoard = close
	}).Dispose)
}

// openBoard is the board to sync, and whether the user may see it.
type openBoard struct {
	id      string
	visible bool
}

// section returns, tracked, the ids of the visible boards the user owns
// (own), or of those shared with it. A board whose access has not arrived
// yet is the user's own if the server has not named its owner: it was
// created here.
func (a *App) section(own bool) []string {
	var ids []string
	for _, l := range a.lists.Items() {
		mine := l.Owner == "" || l.Owner == a.user.Name
		switch a.Boards.Role(l.ID) {
		case model.RoleOwner:
			mine = true
		case model.RoleMember:
			mine = false
		}
		if mine == own {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

// firstBoard returns, tracked, the board to open when none is: the first
// of the user's own, else the first shared with it, never one it dropped.
func (a *App) firstBoard() string { return a.firstOther("") }

// drop is the user deleting or leaving board id: it will not open again,
// and if it is open, the first other board opens instead.
func (a *App) drop(id string) {
	a.dropped[id] = true
	if a.open.Peek() == id {
		a.open.Set(state.Untrack(a.RT.Graph(), func() string { return a.firstOther(id) }))
	}
}

// undrop takes back a drop the server refused.
func (a *App) undrop(id string) { delete(a.dropped, id) }

// A boardPhase is what the main area shows of the open board.
type boardPhase uint8

const (
	phaseLoading boardPhase = iota // opening, nothing shown yet: a skeleton
	phaseBoard                     // the board
	phaseGone                      // its access went, or it was refused
)

// boardPanel is the open board of the signed-in demo: a skeleton while it
// opens for the first time, then the board — which stays through
// reconnects, as the open demo's does — and, if its access goes while it is
// open, a message saying so.
func (a *App) boardPanel(id string) app.UI {
	return ui.Setup(a.RT, func() func() app.UI {
		g := a.RT.Graph()
		var last model.List // the board as last seen, for the message once it is gone
		var lastRole string
		shown := false // once shown, the board stays through reconnects (opening again)
		phase := state.NewComputed(g, func() boardPhase {
			st := a.Boards.Status(id)
			l, visible := a.Lists.Get(id)
			if visible {
				last = l
				if r := a.Boards.Role(id); r != "" {
					lastRole = r
				}
			}
			switch {
			case st.Status == store.PartitionRevoked || st.Status == store.PartitionRefused || !visible:
				shown = false // if it comes back, it opens anew
				return phaseGone
			case shown:
			case st.Status == store.PartitionOpening,
				st.Status == store.PartitionClosed && !a.Lists.IsPending(id): // about to open
				return phaseLoading
			}
			shown = true // a board created here shows before it opens, empty
			return phaseBoard
		})
		return func() app.UI {
			switch phase.Get() {
			case phaseLoading:
				return skeletonMain()
			case phaseGone:
				return a.boardGone(id, last, lastRole)
			}
			return a.listPanel(id)
		}
	})
}

// boardGone says why the open board went: its owner took back the user's
// access, the server refused it, or it was deleted. The server's word on
// the board's subscription may come after the board left the sidebar (its
// access went first): the message follows it.
func (a *App) boardGone(id string, l model.List, role string) app.UI {
	name := "this board"
	if l.Name != "" {
		name = "“" + l.Name + "”"
	}
	return ui.View(a.RT, func() app.UI {
		st := a.Boards.Status(id)
		title, text := "No longer shared with you", name+" was deleted, or is no longer shared with you."
		switch {
		case st.Status == store.PartitionRefused:
			title, text = "Can't open this board", "The server refused "+name+": "+st.Message+"."
		case role == model.RoleOwner || l.Owner == a.user.Name:
			title, text = "Board deleted", name+" was deleted."
		case st.Status == store.PartitionRevoked && l.Owner != "":
			text = l.Owner + " took back your access to " + name + "."
		case st.Status == store.PartitionRevoked:
			text = "You no longer have access to " + name + "."
		case l.Owner != "":
			text = name + " was deleted, or " + l.Owner + " stopped sharing it with you."
		}
		other := a.firstOther(id)
		return app.Div().Class("empty board-gone").DataSet("testid", "board-revoked").DataSet("status", st.Status.String()).
			Aria("live", "polite").Body(
			app.H2().Text(title),
			app.P().Text(text+" Its todos are no longer on this device."),
			app.If(other != "", func() app.UI {
				return app.Button().Class("button button-secondary").OnClick(ui.Do(func() { a.open.Set(a.firstOther(id)) })).
					Text("Open another board")
			}),
		)
	})
}

// firstOther returns, tracked, the first board to open other than id.
func (a *App) firstOther(id string) string {
	for _, ids := range [][]string{a.owned.Get(), a.shared.Get()} {
		for _, x := range ids {
			if x != id && !a.dropped[x] {
				return x
			}
		}
	}
	return ""
}
