package wire

import (
	"encoding/json"
	"strings"
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

// TopicOf returns the topic server message m is about: a Snapshot's,
// Event's, Resync's or Live's, an ErrorMessage's (which may be ""), and ""
// for Welcome and HB.
func TopicOf(m ServerMessage) string {
	switch m := m.(type) {
	case Snapshot:
		return m.Topic
	case Event:
		return m.Topic
	case Resync:
		return m.Topic
	case Live:
		return m.Topic
	case ErrorMessage:
		return m.Topic
	}
	return ""
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
	switch t := MessageType(*r.T); t {
	case TypeHello:
		if err = require(what, "v clientID", r.V != nil, r.ClientID != nil); err == nil {
			m = Hello{V: *r.V, ClientID: *r.ClientID, Token: r.Token}
		}
	case TypeSub, TypeUnsub:
		if err = require(what, "topic", r.Topic != nil); err != nil {
			break
		}
		if t == TypeUnsub {
			m = Unsub{Topic: *r.Topic}
			break
		}
		s := Sub{Topic: *r.Topic}
		if c := r.Since; c != nil {
			if err = require(what, "since.epoch since.seq", c.Epoch != nil, c.Seq != nil); err == nil {
				s.Since = &Cursor{Epoch: *c.Epoch, Seq: *c.Seq}
			}
		}
		m = s
	case TypeHB:
		m = HB{}
	default:
		return nil, unknownType("client message", *r.T)
	}
	if err == nil {
		err = m.validate()
	}
	if err != nil {
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
		if err = require(what, "v hbMs maxMsg lastMutationID", r.V != nil, r.HbMs != nil, r.MaxMsg != nil, r.LastMutationID != nil); err == nil {
			m = Welcome{V: *r.V, HbMs: *r.HbMs, MaxMsg: *r.MaxMsg, LastMutationID: *r.LastMutationID}
		}
	case TypeSnapshot:
		if err = require(what, "topic epoch seq part last items", r.Topic != nil, r.Epoch != nil, r.Seq != nil, r.Part != nil, r.Last != nil, r.Items != nil); err != nil {
			break
		}
		s := Snapshot{Topic: *r.Topic, Epoch: *r.Epoch, Seq: *r.Seq, Part: *r.Part, Last: *r.Last, Items: make([]Item, len(*r.Items))}
		for i := range *r.Items {
			if s.Items[i], err = (*r.Items)[i].item(what, index("items", i), itemSnapshot); err != nil {
				return nil, err
			}
		}
		m = s
	case TypeEvent:
		if err = require(what, "topic epoch seq prev id op version ts", r.Topic != nil, r.Epoch != nil, r.Seq != nil,
			r.Prev != nil, r.ID != nil, r.Op != nil, r.Version != nil, r.TS != nil); err != nil {
			break
		}
		e := Event{Topic: *r.Topic, Epoch: *r.Epoch, Seq: *r.Seq, Prev: *r.Prev, ID: *r.ID, Op: Op(*r.Op), Version: *r.Version, TS: *r.TS}
		if len(r.Data) > 0 && string(r.Data) != "null" {
			e.Data = r.Data
		}
		if o := r.Origin; o != nil {
			if err = require(what, "origin.clientID origin.mutationID", o.ClientID != nil, o.MutationID != nil); err == nil {
				e.Origin = &Origin{ClientID: *o.ClientID, MutationID: *o.MutationID}
			}
		}
		m = e
	case TypeResync:
		if err = require(what, "topic reason mode", r.Topic != nil, r.Reason != nil, r.Mode != nil); err == nil {
			m = Resync{Topic: *r.Topic, Reason: ResyncReason(*r.Reason), Mode: ResyncMode(*r.Mode)}
		}
	case TypeLive:
		if err = require(what, "topic epoch seq", r.Topic != nil, r.Epoch != nil, r.Seq != nil); err == nil {
			m = Live{Topic: *r.Topic, Epoch: *r.Epoch, Seq: *r.Seq}
		}
	case TypeError:
		if err = require(what, "code", r.Code != nil); err == nil {
			m = ErrorMessage{Code: *r.Code, Message: r.Message, Topic: deref(r.Topic)}
		}
	case TypeHB:
		m = HB{}
	default:
		return nil, unknownType("server message", *r.T)
	}
	if err == nil {
		err = m.validate()
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// require returns the error of the first of names (separated by spaces)
// that is not there, as have says, or nil.
func require(what, names string, have ...bool) error {
	for _, ok := range have {
		name, rest, _ := strings.Cut(names, " ")
		if !ok {
			return malformed(what, name, "is required")
		}
		names = rest
	}
	return nil
}

func unknownType(what, t string) error {
	return &DecodeError{What: what, Field: "t", Reason: "unknown type " + quote(t), Err: ErrUnknownType}
}

func quote(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}
