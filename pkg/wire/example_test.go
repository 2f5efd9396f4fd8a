package wire_test

import (
	"errors"
	"fmt"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A client decodes every server message with DecodeServerMessage and
// switches on its type.
func ExampleDecodeServerMessage() {
	raw := []byte(`{"t":"event","topic":"todos","epoch":"e1","seq":8,"prev":7,"id":"t1","op":"update","version":8,"data":{"title":"milk"},"ts":0}`)
	m, err := wire.DecodeServerMessage(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	switch m := m.(type) {
	case wire.Event:
		fmt.Println(m.Topic, m.Seq, m.Prev, m.Op, string(m.Data))
	}

	_, err = wire.DecodeServerMessage([]byte(`{"t":"event","topic":"todos"}`))
	fmt.Println(err, errors.Is(err, wire.ErrMalformed))
	// Output:
	// todos 8 7 update {"title":"milk"}
	// wire: malformed event message: epoch: is required true
}

// EncodeClientMessage adds the "t" field and refuses invalid messages.
func ExampleEncodeClientMessage() {
	b, _ := wire.EncodeClientMessage(wire.Sub{Topic: "todos", Since: &wire.Cursor{Epoch: "e1", Seq: 8}})
	fmt.Println(string(b))
	_, err := wire.EncodeClientMessage(wire.Sub{Topic: ""})
	fmt.Println(err)
	// Output:
	// {"t":"sub","topic":"todos","since":{"epoch":"e1","seq":8}}
	// wire: malformed sub message: topic: is not a valid topic
}

// DecodeErrorResponse turns a 422 body into field errors.
func ExampleDecodeErrorResponse() {
	r, _ := wire.DecodeErrorResponse([]byte(`{"error":{"code":"invalid","message":"invalid todo","fields":{"title":"is required"}}}`))
	fmt.Println(r.Error.Code, r.Error.Fields["title"])
	var err error = &r.Error
	fmt.Println(err)
	// Output:
	// invalid is required
	// wire: invalid: invalid todo; title: is required
}

func ExamplePartitionTopic() {
	topic := wire.PartitionTopic("board-7", "todos")
	key, coll := wire.SplitTopic(topic)
	fmt.Println(topic, wire.ValidTopic(topic), key, coll)
	key, coll = wire.SplitTopic("lists")
	fmt.Printf("%q %q\n", key, coll)
	// Output:
	// board-7/todos true board-7 todos
	// "" "lists"
}
