package wire

import (
	"encoding/json"
)

// MessageType is the "t" field of a WebSocket message.
type MessageType string

// Message types of PROTOCOL.md §3. TypeHB travels both ways.
const (
	TypeHello    MessageType = "hello"
	TypeSub      MessageType = "sub"
	TypeUnsub    MessageType = "unsub"
	TypeHB       MessageType = "hb"
	TypeWelcome  MessageType = "welcome"
	TypeSnapshot MessageType = "snapshot"
	TypeEvent    MessageType = "event"
	TypeResync   MessageType = "resync"
	TypeLive     MessageType = "live"
	TypeError    MessageType = "error"
)

// A ClientMessage is a message the client sends: Hello, Sub, Unsub or HB.
// The set is closed.
type ClientMessage interface {
	Type() MessageType
	clientMessage()
	validate() error
}

// A ServerMessage is a message the server sends: Welcome, Snapshot, Event,
// Resync, Live, ErrorMessage or HB. The set is closed.
type ServerMessage interface {
	Type() MessageType
	serverMessage()
	validate() error
}

// EncodeClientMessage checks m as DecodeClientMessage would and encodes it
// with its "t" field.
func EncodeClientMessage(m ClientMessage) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// EncodeServerMessage checks m as DecodeServerMessage would and encodes it
// with its "t" field.
func EncodeServerMessage(m ServerMessage) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// marshal encodes the message fields p points to (a type without methods,
// so that this is not MarshalJSON again) as a JSON object whose first
// member is "t":t, as every message's MarshalJSON does.
func marshal(t MessageType, p any) ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	out := append([]byte(`{"t":"`), t...)
	if len(b) > 2 {
		out = append(out, `",`...)
	} else {
		out = append(out, '"') // no fields
	}
	return append(out, b[1:]...), nil
}

// rawMessage is the union of every message's fields, with pointers where
// presence must be checked, so that a message is parsed in one pass.
type rawMessage struct {
	T *string `json:"t"`

	V              *int            `json:"v"`
	ClientID       *string         `json:"clientID"`
	Token          string          `json:"token"`
	Topic          *string         `json:"topic"`
	Since          *rawCursor      `json:"since"`
	HbMs           *int            `json:"hbMs"`
	MaxMsg         *int            `json:"maxMsg"`
	LastMutationID *uint64         `json:"lastMutationID"`
	Epoch          *string         `json:"epoch"`
	Seq            *uint64         `json:"seq"`
	Part           *int            `json:"part"`
	Last           *bool           `json:"last"`
	Items          *[]rawItem      `json:"items"`
	Prev           *uint64         `json:"prev"`
	ID             *string         `json:"id"`
	Op             *string         `json:"op"`
	Version        *uint64         `json:"version"`
	Data           json.RawMessage `json:"data"`
	Origin         *rawOrigin      `json:"origin"`
	TS             *int64          `json:"ts"`
	Reason         *string         `json:"reason"`
	Mode           *string         `json:"mode"`
	Code           *string         `json:"code"`
	Message        string          `json:"message"`
}

type rawCursor struct {
	Epoch *string `json:"epoch"`
	Seq   *uint64 `json:"seq"`
}

type rawOrigin struct {
	ClientID   *string `json:"clientID"`
	MutationID *uint64 `json:"mutationID"`
}

func parseRaw(side string, b []byte) (*rawMessage, string, error) {
	what := side + " message"
	var r rawMessage
	if err := unmarshal(what, b, &r); err != nil {
		return nil, "", err
	}
	if r.T == nil || *r.T == "" {
		return nil, "", malformed(what, "t", "is required")
	}
	return &r, *r.T + " message", nil
}

// DecodeClientMessage decodes one client-to-server message. It checks "t",
// the required fields and their ranges; unknown fields are ignored. The
// error matches ErrMalformed, and also ErrUnknownType for a "t" that is not
// a client message.
func DecodeClientMessage(b []byte) (ClientMessage, error) {
	r, what, err := parseRaw("client", b)
	if err != nil {
		return nil, err
	}
	var m ClientMessage
	switch MessageType(*r.T) {
	case TypeHello:
		if r.V == nil {
			return nil, malformed(what, "v", "is required")
		}
		if r.ClientID == nil {
			return nil, malformed(what, "clientID", "is required")
		}
		m = Hello{V: *r.V, ClientID: *r.ClientID, Token: r.Token}
	case TypeSub:
		if r.Topic == nil {
			return nil, malformed(what, "topic", "is required")
		}
		s := Sub{Topic: *r.Topic}
		if r.Since != nil {
			if r.Since.Epoch == nil {
				return nil, malformed(what, "since.epoch", "is required")
			}
			if r.Since.Seq == nil {
				return nil, malformed(what, "since.seq", "is required")
			}
			s.Since = &Cursor{Epoch: *r.Since.Epoch, Seq: *r.Since.Seq}
		}
		m = s
	case TypeUnsub:
		if r.Topic == nil {
			return nil, malformed(what, "topic", "is required")
		}
		m = Unsub{Topic: *r.Topic}
	case TypeHB:
		m = HB{}
	default:
		return nil, &DecodeError{What: "client message", Field: "t", Reason: "unknown type " + quote(*r.T), Err: ErrUnknownType}
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeServerMessage decodes one server-to-client message. It checks "t",
// the required fields and their ranges; unknown fields are ignored. The
// error matches ErrMalformed, and also ErrUnknownType for a "t" that is not
// a server message.
func DecodeServerMessage(b []byte) (ServerMessage, error) {
	r, what, err := parseRaw("server", b)
	if err != nil {
		return nil, err
	}
	var m ServerMessage
	switch MessageType(*r.T) {
	case TypeWelcome:
		for _, f := range []struct {
			name string
			ok   bool
		}{{"v", r.V != nil}, {"hbMs", r.HbMs != nil}, {"maxMsg", r.MaxMsg != nil}, {"lastMutationID", r.LastMutationID != nil}} {
			if !f.ok {
				return nil, malformed(what, f.name, "is required")
			}
		}
		m = Welcome{V: *r.V, HbMs: *r.HbMs, MaxMsg: *r.MaxMsg, LastMutationID: *r.LastMutationID}
	case TypeSnapshot:
		if err := requireTopicEpochSeq(what, r); err != nil {
			return nil, err
		}
		if r.Part == nil {
			return nil, malformed(what, "part", "is required")
		}
		if r.Last == nil {
			return nil, malformed(what, "last", "is required")
		}
		if r.Items == nil {
			return nil, malformed(what, "items", "is required")
		}
		s := Snapshot{Topic: *r.Topic, Epoch: *r.Epoch, Seq: *r.Seq, Part: *r.Part, Last: *r.Last, Items: make([]Item, len(*r.Items))}
		for i := range *r.Items {
			it, err := (*r.Items)[i].item(what, index("items", i), itemSnapshot)
			if err != nil {
				return nil, err
			}
			s.Items[i] = it
		}
		m = s
	case TypeEvent:
		if err := requireTopicEpochSeq(what, r); err != nil {
			return nil, err
		}
		for _, f := range []struct {
			name string
			ok   bool
		}{{"prev", r.Prev != nil}, {"id", r.ID != nil}, {"op", r.Op != nil}, {"version", r.Version != nil}, {"ts", r.TS != nil}} {
			if !f.ok {
				return nil, malformed(what, f.name, "is required")
			}
		}
		e := Event{Topic: *r.Topic, Epoch: *r.Epoch, Seq: *r.Seq, Prev: *r.Prev, ID: *r.ID, Op: Op(*r.Op), Version: *r.Version, TS: *r.TS}
		if len(r.Data) > 0 && string(r.Data) != "null" {
			e.Data = r.Data
		}
		if r.Origin != nil {
			if r.Origin.ClientID == nil {
				return nil, malformed(what, "origin.clientID", "is required")
			}
			if r.Origin.MutationID == nil {
				return nil, malformed(what, "origin.mutationID", "is required")
			}
			e.Origin = &Origin{ClientID: *r.Origin.ClientID, MutationID: *r.Origin.MutationID}
		}
		m = e
	case TypeResync:
		if r.Topic == nil {
			return nil, malformed(what, "topic", "is required")
		}
		if r.Reason == nil {
			return nil, malformed(what, "reason", "is required")
		}
		if r.Mode == nil {
			return nil, malformed(what, "mode", "is required")
		}
		m = Resync{Topic: *r.Topic, Reason: ResyncReason(*r.Reason), Mode: ResyncMode(*r.Mode)}
	case TypeLive:
		if err := requireTopicEpochSeq(what, r); err != nil {
			return nil, err
		}
		m = Live{Topic: *r.Topic, Epoch: *r.Epoch, Seq: *r.Seq}
	case TypeError:
		if r.Code == nil {
			return nil, malformed(what, "code", "is required")
		}
		m = ErrorMessage{Code: *r.Code, Message: r.Message, Topic: deref(r.Topic)}
	case TypeHB:
		m = HB{}
	default:
		return nil, &DecodeError{What: "server message", Field: "t", Reason: "unknown type " + quote(*r.T), Err: ErrUnknownType}
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func requireTopicEpochSeq(what string, r *rawMessage) error {
	switch {
	case r.Topic == nil:
		return malformed(what, "topic", "is required")
	case r.Epoch == nil:
		return malformed(what, "epoch", "is required")
	case r.Seq == nil:
		return malformed(what, "seq", "is required")
	}
	return nil
}

func quote(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}
