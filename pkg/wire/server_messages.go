package wire

import (
	"encoding/json"
)

// Op is the operation of an event.
type Op string

// Event operations. OpInvalidate carries no data: the object was too big
// for maxMsg and the client refetches it by id.
const (
	OpCreate     Op = "create"
	OpUpdate     Op = "update"
	OpDelete     Op = "delete"
	OpInvalidate Op = "invalidate"
)

// ResyncReason says why the server resynchronises a topic.
type ResyncReason string

// Resync reasons.
const (
	ReasonGap       ResyncReason = "gap"       // the client resumed with since: the missing events follow
	ReasonRetention ResyncReason = "retention" // since is older than the retained log
	ReasonEpoch     ResyncReason = "epoch"     // since names another epoch, or a seq the log never reached
	ReasonSlow      ResyncReason = "slow"      // reserved: the server dropped events for a slow consumer
)

// ResyncMode says what follows a resync.
type ResyncMode string

// Resync modes.
const (
	ModeReplay   ResyncMode = "replay"
	ModeSnapshot ResyncMode = "snapshot"
)

// Welcome answers hello. HbMs is the server's heartbeat interval, MaxMsg the
// largest message it will send, LastMutationID the highest mutationID of
// this clientID it has processed (0 for none).
type Welcome struct {
	V              int    `json:"v"`
	HbMs           int    `json:"hbMs"`
	MaxMsg         int    `json:"maxMsg"`
	LastMutationID uint64 `json:"lastMutationID"`
}

// Snapshot is one part of a topic snapshot at watermark Seq. Parts are
// numbered from 0; the client applies the parts atomically when the one with
// Last arrives. Items may hold tombstones and, for objects too big for
// maxMsg, stale items (Item.Stale).
type Snapshot struct {
	Topic string `json:"topic"`
	Epoch string `json:"epoch"`
	Seq   uint64 `json:"seq"`
	Part  int    `json:"part"`
	Last  bool   `json:"last"`
	Items []Item `json:"items"`
}

// Origin names the mutation that caused an event.
type Origin struct {
	ClientID   string `json:"clientID"`
	MutationID uint64 `json:"mutationID"`
}

// Event is one committed change of one entity. Prev is the seq of the
// previous event of the topic; Data is the full object for OpCreate and
// OpUpdate and absent otherwise; Origin is nil for changes without a client
// mutation; TS is the commit time in Unix milliseconds.
type Event struct {
	Topic   string          `json:"topic"`
	Epoch   string          `json:"epoch"`
	Seq     uint64          `json:"seq"`
	Prev    uint64          `json:"prev"`
	ID      string          `json:"id"`
	Op      Op              `json:"op"`
	Version uint64          `json:"version"`
	Data    json.RawMessage `json:"data,omitempty"`
	Origin  *Origin         `json:"origin,omitempty"`
	TS      int64           `json:"ts"`
}

// Resync announces that a replay or a snapshot of Topic follows.
type Resync struct {
	Topic  string       `json:"topic"`
	Reason ResyncReason `json:"reason"`
	Mode   ResyncMode   `json:"mode"`
}

// Live ends the replay or snapshot of a subscription: events of Topic after
// Seq follow live.
type Live struct {
	Topic string `json:"topic"`
	Epoch string `json:"epoch"`
	Seq   uint64 `json:"seq"`
}

// ErrorMessage reports a problem with a client message. Topic names the
// subscription it concerns, if any (e.g. a sub refused with CodeForbidden).
type ErrorMessage struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Topic   string `json:"topic,omitempty"`
}

// Type implements ServerMessage.
func (Welcome) Type() MessageType { return TypeWelcome }

// Type implements ServerMessage.
func (Snapshot) Type() MessageType { return TypeSnapshot }

// Type implements ServerMessage.
func (Event) Type() MessageType { return TypeEvent }

// Type implements ServerMessage.
func (Resync) Type() MessageType { return TypeResync }

// Type implements ServerMessage.
func (Live) Type() MessageType { return TypeLive }

// Type implements ServerMessage.
func (ErrorMessage) Type() MessageType { return TypeError }

func (Welcome) serverMessage()      {}
func (Snapshot) serverMessage()     {}
func (Event) serverMessage()        {}
func (Resync) serverMessage()       {}
func (Live) serverMessage()         {}
func (ErrorMessage) serverMessage() {}

// MarshalJSON encodes m with "t":"welcome".
func (m Welcome) MarshalJSON() ([]byte, error) {
	type plain Welcome
	p := plain(m)
	return marshal(TypeWelcome, &p)
}

// MarshalJSON encodes m with "t":"snapshot"; nil Items encode as [].
func (m Snapshot) MarshalJSON() ([]byte, error) {
	type plain Snapshot
	if m.Items == nil {
		m.Items = []Item{}
	}
	p := plain(m)
	return marshal(TypeSnapshot, &p)
}

// MarshalJSON encodes m with "t":"event".
func (m Event) MarshalJSON() ([]byte, error) {
	type plain Event
	p := plain(m)
	return marshal(TypeEvent, &p)
}

// MarshalJSON encodes m with "t":"resync".
func (m Resync) MarshalJSON() ([]byte, error) {
	type plain Resync
	p := plain(m)
	return marshal(TypeResync, &p)
}

// MarshalJSON encodes m with "t":"live".
func (m Live) MarshalJSON() ([]byte, error) {
	type plain Live
	p := plain(m)
	return marshal(TypeLive, &p)
}

// MarshalJSON encodes m with "t":"error".
func (m ErrorMessage) MarshalJSON() ([]byte, error) {
	type plain ErrorMessage
	p := plain(m)
	return marshal(TypeError, &p)
}

func (m Welcome) validate() error {
	const what = "welcome message"
	switch {
	case m.V != Version:
		return malformed(what, "v", "unsupported protocol version")
	case m.HbMs < 1:
		return malformed(what, "hbMs", "must be at least 1")
	case m.MaxMsg < MinMaxMsg:
		return malformed(what, "maxMsg", "must be at least 1024")
	case m.LastMutationID > MaxSafeInteger:
		return malformed(what, "lastMutationID", "must be at most 2^53-1")
	}
	return nil
}

func checkTopicEpochSeq(what, topic, epoch string, seq, minSeq uint64) error {
	if !ValidTopic(topic) {
		return malformed(what, "topic", "is not a valid topic")
	}
	if !ValidEpoch(epoch) {
		return malformed(what, "epoch", "is not a valid epoch")
	}
	return checkSeq(what, "seq", &seq, minSeq)
}

func (m Snapshot) validate() error {
	const what = "snapshot message"
	if err := checkTopicEpochSeq(what, m.Topic, m.Epoch, m.Seq, 0); err != nil {
		return err
	}
	if m.Part < 0 {
		return malformed(what, "part", "must be at least 0")
	}
	for i, it := range m.Items {
		r := rawItem{ID: &it.ID, Version: &it.Version, Data: it.Data, Deleted: it.Deleted}
		if _, err := r.item(what, index("items", i), itemSnapshot); err != nil {
			return err
		}
	}
	return nil
}

func (m Event) validate() error {
	const what = "event message"
	if err := checkTopicEpochSeq(what, m.Topic, m.Epoch, m.Seq, 1); err != nil {
		return err
	}
	switch {
	case m.Prev >= m.Seq:
		return malformed(what, "prev", "must be less than seq")
	case !ValidID(m.ID):
		return malformed(what, "id", "is not a valid id")
	case m.Version == 0 || m.Version > MaxSafeInteger:
		return malformed(what, "version", "must be from 1 to 2^53-1")
	case m.TS < 0:
		return malformed(what, "ts", "must not be negative")
	}
	switch m.Op {
	case OpCreate, OpUpdate:
		if len(m.Data) == 0 || !isJSONObject(m.Data) {
			return malformed(what, "data", "is required and must be a JSON object for op "+string(m.Op))
		}
	case OpDelete, OpInvalidate:
		if len(m.Data) != 0 {
			return malformed(what, "data", "must be absent for op "+string(m.Op))
		}
	default:
		return malformed(what, "op", "must be create, update, delete or invalidate")
	}
	if m.Origin != nil {
		if !ValidClientID(m.Origin.ClientID) {
			return malformed(what, "origin.clientID", "is not a valid clientID")
		}
		if m.Origin.MutationID == 0 || m.Origin.MutationID > MaxSafeInteger {
			return malformed(what, "origin.mutationID", "must be from 1 to 2^53-1")
		}
	}
	return nil
}

func (m Resync) validate() error {
	const what = "resync message"
	if !ValidTopic(m.Topic) {
		return malformed(what, "topic", "is not a valid topic")
	}
	switch m.Reason {
	case ReasonGap, ReasonRetention, ReasonEpoch, ReasonSlow:
	default:
		return malformed(what, "reason", "must be gap, retention, epoch or slow")
	}
	switch m.Mode {
	case ModeReplay, ModeSnapshot:
	default:
		return malformed(what, "mode", "must be replay or snapshot")
	}
	return nil
}

func (m Live) validate() error {
	return checkTopicEpochSeq("live message", m.Topic, m.Epoch, m.Seq, 0)
}

func (m ErrorMessage) validate() error {
	const what = "error message"
	if m.Code == "" {
		return malformed(what, "code", "is required")
	}
	if m.Topic != "" && !ValidTopic(m.Topic) {
		return malformed(what, "topic", "is not a valid topic")
	}
	return nil
}
