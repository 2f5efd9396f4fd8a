package wire

import (
	"encoding/json"
	"sort"
	"strings"
)

// A SnapshotPage is the body of GET /api/{collection}: one page of a
// snapshot. Seq is the watermark read in the same transaction as the first
// page's items; every later page of the same listing carries the same Epoch
// and Seq. Next, when not empty, is the opaque cursor to pass as ?after= for
// the following page. Items never holds tombstones.
type SnapshotPage struct {
	Items []Item `json:"items"`
	Epoch string `json:"epoch"`
	Seq   uint64 `json:"seq"`
	Next  string `json:"next,omitempty"`
}

// A MutationResponse is the 2xx body of a create or update: the full
// authoritative object. Seq is the seq of the mutation's own entity event;
// MutationID is 0 for a mutation sent without X-Client-ID/X-Mutation-ID.
// Duplicate is true when the server answered a repeated (clientID,
// mutationID) with the stored original response and applied nothing.
type MutationResponse struct {
	ID      string          `json:"id"`
	Version uint64          `json:"version"`
	Data    json.RawMessage `json:"data"`
	Topic   string          `json:"topic"`
	Seq     uint64          `json:"seq"`
	// Epoch is the topic's epoch at the commit (a Tandem extension;
	// optional on decode, "" when the server did not say): with it a client
	// resynchronising after an epoch change knows whether this write belongs
	// to the new log.
	Epoch      string `json:"epoch,omitempty"`
	MutationID uint64 `json:"mutationID"`
	Duplicate  bool   `json:"duplicate"`
}

// Item returns the response's entity as an Item.
func (r MutationResponse) Item() Item { return Item{ID: r.ID, Version: r.Version, Data: r.Data} }

// A DeleteResponse is the 200 body of a delete; Deleted is always true and
// Version is the tombstone's version.
type DeleteResponse struct {
	ID         string `json:"id"`
	Version    uint64 `json:"version"`
	Deleted    bool   `json:"deleted"`
	Topic      string `json:"topic"`
	Seq        uint64 `json:"seq"`
	Epoch      string `json:"epoch,omitempty"` // as MutationResponse.Epoch
	MutationID uint64 `json:"mutationID"`
	Duplicate  bool   `json:"duplicate"`
}

// Item returns the response's tombstone as an Item.
func (r DeleteResponse) Item() Item { return Item{ID: r.ID, Version: r.Version, Deleted: true} }

// An ErrorResponse is the body of every non-2xx REST answer. Duplicate is
// true when it is the stored answer to a repeated (clientID, mutationID).
type ErrorResponse struct {
	Error     ErrorBody `json:"error"`
	Duplicate bool      `json:"duplicate,omitempty"`
}

// An ErrorBody says why a request failed. Fields maps a field's JSON name to
// its message (code CodeInvalid). Current holds the entity as the server has
// it (CodeConflict, CodeDeleted, and a 404 on a tombstone).
//
// *ErrorBody is an error, so a client can return it as is.
type ErrorBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Current *Item             `json:"current,omitempty"`
}

// Error implements error: "wire: invalid: title: is required".
func (e *ErrorBody) Error() string {
	var b strings.Builder
	b.WriteString("wire: ")
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString("; ")
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(e.Fields[k])
	}
	return b.String()
}

func unmarshal(what string, b []byte, v any) error {
	if !isJSONObject(b) {
		return malformed(what, "", "must be a JSON object")
	}
	if skipSpace(b, skipValue(b, skipSpace(b, 0))) < len(b) {
		return malformed(what, "", "has data after the JSON value")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return jsonError(what, err)
	}
	return nil
}

// DecodeItem decodes the body of GET /api/{collection}/{id}: an entity with
// data (never a tombstone).
func DecodeItem(b []byte) (Item, error) {
	var r rawItem
	if err := unmarshal("item", b, &r); err != nil {
		return Item{}, err
	}
	return r.item("item", "", itemLive)
}

// DecodeSnapshotPage decodes the body of GET /api/{collection}.
func DecodeSnapshotPage(b []byte) (SnapshotPage, error) {
	const what = "snapshot page"
	var r struct {
		Items *[]rawItem `json:"items"`
		Epoch *string    `json:"epoch"`
		Seq   *uint64    `json:"seq"`
		Next  *string    `json:"next"`
	}
	if err := unmarshal(what, b, &r); err != nil {
		return SnapshotPage{}, err
	}
	if r.Items == nil {
		return SnapshotPage{}, malformed(what, "items", "is required")
	}
	if err := checkEpoch(what, r.Epoch); err != nil {
		return SnapshotPage{}, err
	}
	if err := checkSeq(what, "seq", r.Seq, 0); err != nil {
		return SnapshotPage{}, err
	}
	p := SnapshotPage{Epoch: *r.Epoch, Seq: *r.Seq, Items: make([]Item, len(*r.Items))}
	if r.Next != nil {
		p.Next = *r.Next
	}
	for i := range *r.Items {
		it, err := (*r.Items)[i].item(what, index("items", i), itemLive)
		if err != nil {
			return SnapshotPage{}, err
		}
		p.Items[i] = it
	}
	return p, nil
}

type rawMutationResponse struct {
	ID         *string         `json:"id"`
	Version    *uint64         `json:"version"`
	Data       json.RawMessage `json:"data"`
	Deleted    bool            `json:"deleted"`
	Topic      *string         `json:"topic"`
	Seq        *uint64         `json:"seq"`
	Epoch      *string         `json:"epoch"`
	MutationID uint64          `json:"mutationID"`
	Duplicate  bool            `json:"duplicate"`
}

func (r *rawMutationResponse) check(what string) error {
	if r.ID == nil || !ValidID(*r.ID) {
		return malformed(what, "id", "is required and must be a valid id")
	}
	if err := checkSeq(what, "version", r.Version, 1); err != nil {
		return err
	}
	if r.Topic == nil || !ValidTopic(*r.Topic) {
		return malformed(what, "topic", "is required and must be a valid topic")
	}
	if err := checkSeq(what, "seq", r.Seq, 1); err != nil {
		return err
	}
	if r.Epoch != nil && !ValidEpoch(*r.Epoch) {
		return malformed(what, "epoch", "must be a valid epoch when present")
	}
	if r.MutationID > MaxSafeInteger {
		return malformed(what, "mutationID", "must be at most 2^53-1")
	}
	return nil
}

// DecodeMutationResponse decodes the 2xx body of a create or update.
func DecodeMutationResponse(b []byte) (MutationResponse, error) {
	const what = "mutation response"
	var r rawMutationResponse
	if err := unmarshal(what, b, &r); err != nil {
		return MutationResponse{}, err
	}
	if err := r.check(what); err != nil {
		return MutationResponse{}, err
	}
	if r.Deleted {
		return MutationResponse{}, malformed(what, "deleted", "must be false; decode a delete with DecodeDeleteResponse")
	}
	if len(r.Data) == 0 || !isJSONObject(r.Data) {
		return MutationResponse{}, malformed(what, "data", "is required and must be a JSON object")
	}
	return MutationResponse{
		ID: *r.ID, Version: *r.Version, Data: r.Data, Topic: *r.Topic, Seq: *r.Seq, Epoch: deref(r.Epoch),
		MutationID: r.MutationID, Duplicate: r.Duplicate,
	}, nil
}

// DecodeDeleteResponse decodes the 200 body of a delete.
func DecodeDeleteResponse(b []byte) (DeleteResponse, error) {
	const what = "delete response"
	var r rawMutationResponse
	if err := unmarshal(what, b, &r); err != nil {
		return DeleteResponse{}, err
	}
	if err := r.check(what); err != nil {
		return DeleteResponse{}, err
	}
	if !r.Deleted {
		return DeleteResponse{}, malformed(what, "deleted", "must be true")
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		return DeleteResponse{}, malformed(what, "data", "must be absent")
	}
	return DeleteResponse{
		ID: *r.ID, Version: *r.Version, Deleted: true, Topic: *r.Topic, Seq: *r.Seq, Epoch: deref(r.Epoch),
		MutationID: r.MutationID, Duplicate: r.Duplicate,
	}, nil
}

// DecodeErrorResponse decodes a non-2xx REST body.
func DecodeErrorResponse(b []byte) (ErrorResponse, error) {
	const what = "error response"
	var r struct {
		Error *struct {
			Code    *string           `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
			Current *rawItem          `json:"current"`
		} `json:"error"`
		Duplicate bool `json:"duplicate"`
	}
	if err := unmarshal(what, b, &r); err != nil {
		return ErrorResponse{}, err
	}
	if r.Error == nil {
		return ErrorResponse{}, malformed(what, "error", "is required")
	}
	if r.Error.Code == nil || *r.Error.Code == "" {
		return ErrorResponse{}, malformed(what, "error.code", "is required")
	}
	out := ErrorResponse{
		Error: ErrorBody{
			Code: *r.Error.Code, Message: r.Error.Message, Fields: r.Error.Fields,
		},
		Duplicate: r.Duplicate,
	}
	if r.Error.Current != nil {
		it, err := r.Error.Current.item(what, "error.current.", itemAny)
		if err != nil {
			return ErrorResponse{}, err
		}
		out.Error.Current = &it
	}
	return out, nil
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func checkEpoch(what string, p *string) error {
	if p == nil {
		return malformed(what, "epoch", "is required")
	}
	if !ValidEpoch(*p) {
		return malformed(what, "epoch", "is not a valid epoch")
	}
	return nil
}

func checkSeq(what, field string, p *uint64, min uint64) error {
	if p == nil {
		return malformed(what, field, "is required")
	}
	if *p < min || *p > MaxSafeInteger {
		if min == 0 {
			return malformed(what, field, "must be at most 2^53-1")
		}
		return malformed(what, field, "must be from 1 to 2^53-1")
	}
	return nil
}
