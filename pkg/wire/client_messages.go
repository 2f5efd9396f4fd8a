package wire

import "strconv"

// Hello is the client's first message on a connection. V must be Version;
// Token is passed to the server's authentication hook and may be empty.
type Hello struct {
	V        int    `json:"v"`
	ClientID string `json:"clientID"`
	Token    string `json:"token,omitempty"`
}

// A Cursor is a client's position in a topic log: the epoch of the log and
// the seq of the last event applied (0 for "nothing yet").
type Cursor struct {
	Epoch string `json:"epoch"`
	Seq   uint64 `json:"seq"`
}

// Sub subscribes to a topic, resuming after Since when it is set.
type Sub struct {
	Topic string  `json:"topic"`
	Since *Cursor `json:"since,omitempty"`
}

// Unsub ends the subscription to a topic.
type Unsub struct {
	Topic string `json:"topic"`
}

// HB is the heartbeat; the server sends it every hbMs and the client answers
// with its own.
type HB struct{}

// Type implements ClientMessage.
func (Hello) Type() MessageType { return TypeHello }

// Type implements ClientMessage.
func (Sub) Type() MessageType { return TypeSub }

// Type implements ClientMessage.
func (Unsub) Type() MessageType { return TypeUnsub }

// Type implements ClientMessage and ServerMessage.
func (HB) Type() MessageType { return TypeHB }

func (Hello) clientMessage() {}
func (Sub) clientMessage()   {}
func (Unsub) clientMessage() {}
func (HB) clientMessage()    {}
func (HB) serverMessage()    {}

// MarshalJSON encodes m with "t":"hello".
func (m Hello) MarshalJSON() ([]byte, error) {
	type plain Hello
	p := plain(m)
	return marshal(TypeHello, &p)
}

// MarshalJSON encodes m with "t":"sub".
func (m Sub) MarshalJSON() ([]byte, error) {
	type plain Sub
	p := plain(m)
	return marshal(TypeSub, &p)
}

// MarshalJSON encodes m with "t":"unsub".
func (m Unsub) MarshalJSON() ([]byte, error) {
	type plain Unsub
	p := plain(m)
	return marshal(TypeUnsub, &p)
}

// MarshalJSON encodes {"t":"hb"}.
func (HB) MarshalJSON() ([]byte, error) { return []byte(`{"t":"hb"}`), nil }

func (m Hello) validate() error {
	const what = "hello message"
	if m.V != Version {
		return malformed(what, "v", "unsupported protocol version "+strconv.Itoa(m.V)+"; this side speaks 1")
	}
	if !ValidClientID(m.ClientID) {
		return malformed(what, "clientID", "must be 32 lowercase hex digits or a lowercase UUID")
	}
	if len(m.Token) > MaxTokenLen {
		return malformed(what, "token", "is too long")
	}
	return nil
}

func (m Sub) validate() error {
	const what = "sub message"
	if !ValidTopic(m.Topic) {
		return malformed(what, "topic", "is not a valid topic")
	}
	if m.Since != nil {
		if !ValidEpoch(m.Since.Epoch) {
			return malformed(what, "since.epoch", "is not a valid epoch")
		}
		if m.Since.Seq > MaxSafeInteger {
			return malformed(what, "since.seq", "must be at most 2^53-1")
		}
	}
	return nil
}

func (m Unsub) validate() error {
	if !ValidTopic(m.Topic) {
		return malformed("unsub message", "topic", "is not a valid topic")
	}
	return nil
}

func (HB) validate() error { return nil }
