package sync_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	"github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/wire"
)

type Todo struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// The example plays the server over an in-memory pipe: welcome, a snapshot
// of the subscribed topic, live, then another client's change.
func Example() {
	work := make(chan func(), 64) // the graph's goroutine is this one
	g := state.NewGraph(state.WithScheduler(func(fn func()) { work <- fn }))
	s, _ := store.New(store.Options{Graph: g})
	todos, _ := store.NewCollection(s, store.CollectionOptions[Todo, Todo]{Name: "todos", Codec: store.Identity[Todo]()})

	server := make(chan sync.Conn, 1)
	client, _ := sync.New(sync.Options{Store: s, URL: "ws://example/api/ws",
		Dial: func(ctx context.Context, url string) (sync.Conn, error) {
			a, b := sync.Pipe()
			server <- b
			return a, nil
		}}) // it syncs every collection of s

	go func() { playServer(<-server) }()
	g.Effect(func() { fmt.Println("connection:", client.State()) })
	g.Effect(func() {
		if t, ok := todos.Get("t1"); ok {
			fmt.Println("t1:", t.Title)
		}
	})
	client.Start()
	for {
		if t, _ := todos.Get("t1"); t.Title == "from another client" {
			break
		}
		(<-work)()
	}
	client.Stop()
	// Output:
	// connection: offline
	// connection: connecting
	// connection: resyncing
	// t1: from the snapshot
	// connection: live
	// t1: from another client
	// connection: offline
}

func playServer(srv sync.Conn) {
	ctx := context.Background()
	read := func() wire.ClientMessage {
		b, _ := srv.Read(ctx)
		m, _ := wire.DecodeClientMessage(b)
		return m
	}
	send := func(m wire.ServerMessage) {
		b, _ := wire.EncodeServerMessage(m)
		_ = srv.Write(ctx, b)
	}
	read() // hello
	send(wire.Welcome{V: 1, HbMs: 15000, MaxMsg: 32 << 10})
	read() // sub todos
	data, _ := json.Marshal(Todo{ID: "t1", Title: "from the snapshot"})
	send(wire.Snapshot{Topic: "todos", Epoch: "e1", Seq: 1, Part: 0, Last: true, Items: []wire.Item{{ID: "t1", Version: 1, Data: data}}})
	send(wire.Live{Topic: "todos", Epoch: "e1", Seq: 1})
	data, _ = json.Marshal(Todo{ID: "t1", Title: "from another client"})
	send(wire.Event{Topic: "todos", Epoch: "e1", Seq: 2, Prev: 1, ID: "t1", Op: wire.OpUpdate, Version: 2, Data: data, TS: 1})
}
