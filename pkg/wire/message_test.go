package wire_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

const cid = "0123456789abcdef0123456789abcdef"
const uuid = "01234567-89ab-cdef-0123-456789abcdef"

func TestDecodeClientMessage(t *testing.T) {
	valid := []struct {
		name string
		in   string
		want wire.ClientMessage
	}{
		{"hello with hex clientID", `{"t":"hello","v":1,"clientID":"` + cid + `"}`, wire.Hello{V: 1, ClientID: cid}},
		{"hello with UUID and token", `{"t":"hello","v":1,"clientID":"` + uuid + `","token":"tok"}`, wire.Hello{V: 1, ClientID: uuid, Token: "tok"}},
		{"sub without since", `{"t":"sub","topic":"todos"}`, wire.Sub{Topic: "todos"}},
		{"sub with since", `{"t":"sub","topic":"acme/todos","since":{"epoch":"e1","seq":0}}`, wire.Sub{Topic: "acme/todos", Since: &wire.Cursor{Epoch: "e1", Seq: 0}}},
		{"sub with null since", `{"t":"sub","topic":"todos","since":null}`, wire.Sub{Topic: "todos"}},
		{"unsub", `{"t":"unsub","topic":"todos"}`, wire.Unsub{Topic: "todos"}},
		{"hb", `{"t":"hb"}`, wire.HB{}},
		{"unknown fields are ignored", `{"t":"hb","x":[1,2]}`, wire.HB{}},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			m, err := wire.DecodeClientMessage([]byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, m)
			// Round trip through the encoder.
			b, err := wire.EncodeClientMessage(m)
			require.NoError(t, err)
			m2, err := wire.DecodeClientMessage(b)
			require.NoError(t, err)
			assert.Equal(t, m, m2)
		})
	}

	invalid := []struct {
		name, in, wantErr string
	}{
		{"not JSON", `{`, "malformed client message"},
		{"not an object", `[1]`, "must be a JSON object"},
		{"trailing data", `{"t":"hb"} {}`, "data after"},
		{"missing t", `{"topic":"x"}`, "t: is required"},
		{"t of wrong type", `{"t":1}`, "malformed client message"},
		{"server type from client", `{"t":"welcome"}`, "unknown type"},
		{"hello without v", `{"t":"hello","clientID":"` + cid + `"}`, "v: is required"},
		{"hello with v 2", `{"t":"hello","v":2,"clientID":"` + cid + `"}`, "unsupported protocol version 2"},
		{"hello with uppercase clientID", `{"t":"hello","v":1,"clientID":"0123456789ABCDEF0123456789ABCDEF"}`, "clientID"},
		{"hello without clientID", `{"t":"hello","v":1}`, "clientID: is required"},
		{"sub without topic", `{"t":"sub"}`, "topic: is required"},
		{"sub with bad topic", `{"t":"sub","topic":"a/b/c"}`, "topic: is not a valid topic"},
		{"sub of a partition whose key is a dot segment", `{"t":"sub","topic":"../todos"}`, "topic: is not a valid topic"},
		{"sub with since lacking epoch", `{"t":"sub","topic":"x","since":{"seq":1}}`, "since.epoch: is required"},
		{"sub with since lacking seq", `{"t":"sub","topic":"x","since":{"epoch":"e"}}`, "since.seq: is required"},
		{"sub with negative seq", `{"t":"sub","topic":"x","since":{"epoch":"e","seq":-1}}`, "malformed client message"},
		{"sub with seq over 2^53", `{"t":"sub","topic":"x","since":{"epoch":"e","seq":9007199254740993}}`, "2^53"},
		{"unsub with empty topic", `{"t":"unsub","topic":""}`, "topic"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wire.DecodeClientMessage([]byte(tc.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, wire.ErrMalformed)
			assert.Contains(t, err.Error(), tc.wantErr)
			var de *wire.DecodeError
			assert.True(t, errors.As(err, &de))
		})
	}
}

func TestDecodeClientMessage_unknownTypeIsDistinguishable(t *testing.T) {
	_, err := wire.DecodeClientMessage([]byte(`{"t":"future"}`))
	assert.ErrorIs(t, err, wire.ErrUnknownType)
	assert.ErrorIs(t, err, wire.ErrMalformed)
	_, err = wire.DecodeClientMessage([]byte(`{"t":"sub"}`))
	assert.NotErrorIs(t, err, wire.ErrUnknownType)
}

func TestDecodeServerMessage(t *testing.T) {
	origin := &wire.Origin{ClientID: cid, MutationID: 17}
	valid := []struct {
		name string
		in   string
		want wire.ServerMessage
	}{
		{"welcome", `{"t":"welcome","v":1,"hbMs":15000,"maxMsg":32768,"lastMutationID":4}`, wire.Welcome{V: 1, HbMs: 15000, MaxMsg: 32768, LastMutationID: 4}},
		{"snapshot with data, tombstone and stale items", `{"t":"snapshot","topic":"todos","epoch":"e","seq":9,"part":0,"last":true,"items":[{"id":"a","version":3,"data":{"x":1}},{"id":"b","version":5,"deleted":true},{"id":"c","version":7}]}`,
			wire.Snapshot{Topic: "todos", Epoch: "e", Seq: 9, Part: 0, Last: true, Items: []wire.Item{
				{ID: "a", Version: 3, Data: json.RawMessage(`{"x":1}`)}, {ID: "b", Version: 5, Deleted: true}, {ID: "c", Version: 7}}}},
		{"empty snapshot", `{"t":"snapshot","topic":"todos","epoch":"e","seq":0,"part":0,"last":true,"items":[]}`, wire.Snapshot{Topic: "todos", Epoch: "e", Part: 0, Last: true, Items: []wire.Item{}}},
		{"event create with origin", `{"t":"event","topic":"todos","epoch":"e","seq":42,"prev":41,"id":"a","op":"create","version":42,"data":{"title":"x"},"origin":{"clientID":"` + cid + `","mutationID":17},"ts":1700000000000}`,
			wire.Event{Topic: "todos", Epoch: "e", Seq: 42, Prev: 41, ID: "a", Op: wire.OpCreate, Version: 42, Data: json.RawMessage(`{"title":"x"}`), Origin: origin, TS: 1700000000000}},
		{"event delete without origin", `{"t":"event","topic":"todos","epoch":"e","seq":1,"prev":0,"id":"a","op":"delete","version":1,"ts":0}`,
			wire.Event{Topic: "todos", Epoch: "e", Seq: 1, ID: "a", Op: wire.OpDelete, Version: 1}},
		{"event invalidate", `{"t":"event","topic":"todos","epoch":"e","seq":3,"prev":2,"id":"a","op":"invalidate","version":3,"ts":5}`,
			wire.Event{Topic: "todos", Epoch: "e", Seq: 3, Prev: 2, ID: "a", Op: wire.OpInvalidate, Version: 3, TS: 5}},
		{"resync", `{"t":"resync","topic":"todos","reason":"retention","mode":"snapshot"}`, wire.Resync{Topic: "todos", Reason: wire.ReasonRetention, Mode: wire.ModeSnapshot}},
		{"live", `{"t":"live","topic":"todos","epoch":"e","seq":0}`, wire.Live{Topic: "todos", Epoch: "e"}},
		{"error with topic", `{"t":"error","code":"forbidden","message":"no","topic":"todos"}`, wire.ErrorMessage{Code: "forbidden", Message: "no", Topic: "todos"}},
		{"hb", `{"t":"hb"}`, wire.HB{}},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			m, err := wire.DecodeServerMessage([]byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, m)
			b, err := wire.EncodeServerMessage(m)
			require.NoError(t, err)
			m2, err := wire.DecodeServerMessage(b)
			require.NoError(t, err)
			assert.Equal(t, m, m2)
		})
	}

	ev := func(extra string) string {
		return `{"t":"event","topic":"todos","epoch":"e","seq":5,"prev":4,"id":"a","version":5,"ts":1,` + extra + `}`
	}
	invalid := []struct {
		name, in, wantErr string
	}{
		{"client type from server", `{"t":"sub","topic":"x"}`, "unknown type"},
		{"welcome without maxMsg", `{"t":"welcome","v":1,"hbMs":1,"lastMutationID":0}`, "maxMsg: is required"},
		{"welcome with tiny maxMsg", `{"t":"welcome","v":1,"hbMs":1,"maxMsg":10,"lastMutationID":0}`, "maxMsg"},
		{"welcome with zero hbMs", `{"t":"welcome","v":1,"hbMs":0,"maxMsg":32768,"lastMutationID":0}`, "hbMs"},
		{"snapshot without last", `{"t":"snapshot","topic":"t","epoch":"e","seq":1,"part":0,"items":[]}`, "last: is required"},
		{"snapshot with negative part", `{"t":"snapshot","topic":"t","epoch":"e","seq":1,"part":-1,"last":true,"items":[]}`, "part"},
		{"snapshot item with version 0", `{"t":"snapshot","topic":"t","epoch":"e","seq":1,"part":0,"last":true,"items":[{"id":"a","version":0,"data":{}}]}`, "items[0].version"},
		{"snapshot item with data and deleted", `{"t":"snapshot","topic":"t","epoch":"e","seq":1,"part":0,"last":true,"items":[{"id":"a","version":1,"data":{},"deleted":true}]}`, "items[0].data"},
		{"snapshot item with array data", `{"t":"snapshot","topic":"t","epoch":"e","seq":1,"part":0,"last":true,"items":[{"id":"a","version":1,"data":[]}]}`, "JSON object"},
		{"snapshot item with bad id", `{"t":"snapshot","topic":"t","epoch":"e","seq":1,"part":0,"last":true,"items":[{"id":"a b","version":1,"data":{}}]}`, "items[0].id"},
		{"event without op", ev(`"data":{}`), "op: is required"},
		{"event with unknown op", ev(`"op":"upsert","data":{}`), "op: must be"},
		{"event update without data", ev(`"op":"update"`), "data: is required"},
		{"event delete with data", ev(`"op":"delete","data":{}`), "data: must be absent"},
		{"event with prev not below seq", `{"t":"event","topic":"t","epoch":"e","seq":5,"prev":5,"id":"a","op":"delete","version":5,"ts":1}`, "prev"},
		{"event with seq 0", `{"t":"event","topic":"t","epoch":"e","seq":0,"prev":0,"id":"a","op":"delete","version":1,"ts":1}`, "seq"},
		{"event with version 0", `{"t":"event","topic":"t","epoch":"e","seq":5,"prev":4,"id":"a","op":"delete","version":0,"ts":1}`, "version"},
		{"event with version above 2^53-1", `{"t":"event","topic":"t","epoch":"e","seq":5,"prev":4,"id":"a","op":"delete","version":9007199254740992,"ts":1}`, "version"},
		{"event with origin lacking mutationID", ev(`"op":"delete","origin":{"clientID":"` + cid + `"}`), "origin.mutationID: is required"},
		{"event with origin mutationID 0", ev(`"op":"delete","origin":{"clientID":"` + cid + `","mutationID":0}`), "origin.mutationID"},
		{"event with negative ts", `{"t":"event","topic":"t","epoch":"e","seq":5,"prev":4,"id":"a","op":"delete","version":5,"ts":-1}`, "ts"},
		{"resync with unknown reason", `{"t":"resync","topic":"t","reason":"bored","mode":"replay"}`, "reason"},
		{"resync with unknown mode", `{"t":"resync","topic":"t","reason":"gap","mode":"fast"}`, "mode"},
		{"live without epoch", `{"t":"live","topic":"t","seq":1}`, "epoch: is required"},
		{"live with empty epoch", `{"t":"live","topic":"t","epoch":"","seq":1}`, "epoch"},
		{"error without code", `{"t":"error","message":"x"}`, "code: is required"},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wire.DecodeServerMessage([]byte(tc.in))
			require.Error(t, err)
			assert.ErrorIs(t, err, wire.ErrMalformed)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestEncodeServerMessage_rejectsInvalid(t *testing.T) {
	_, err := wire.EncodeServerMessage(wire.Event{Topic: "t", Epoch: "e", Seq: 1, ID: "a", Op: wire.OpUpdate, Version: 1})
	assert.ErrorIs(t, err, wire.ErrMalformed)
	_, err = wire.EncodeClientMessage(wire.Hello{V: 1, ClientID: "nope"})
	assert.ErrorIs(t, err, wire.ErrMalformed)
}

func TestSnapshotEncodesNilItemsAsEmptyArray(t *testing.T) {
	b, err := wire.EncodeServerMessage(wire.Snapshot{Topic: "t", Epoch: "e", Last: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"t":"snapshot","topic":"t","epoch":"e","seq":0,"part":0,"last":true,"items":[]}`, string(b))
}
