package wire

import (
	"encoding/json"
	"strconv"
)

// An Item is one entity as the server last committed it: in REST bodies and
// in snapshot messages.
//
// Exactly one of these holds: Data is the full object (a JSON object); or
// Deleted is true and Data is empty (a tombstone); or, only inside a
// WebSocket snapshot, both are empty, meaning the object exists at Version
// but was too big for maxMsg and must be fetched with GET
// /api/{collection}/{id}.
type Item struct {
	ID      string          `json:"id"`
	Version uint64          `json:"version"`
	Data    json.RawMessage `json:"data,omitempty"`
	Deleted bool            `json:"deleted,omitempty"`
}

// Stale reports whether the item carries neither data nor a tombstone: a
// snapshot entry too big for maxMsg, to be fetched by id.
func (it Item) Stale() bool { return len(it.Data) == 0 && !it.Deleted }

// rawItem records which fields were present while decoding.
type rawItem struct {
	ID      *string         `json:"id"`
	Version *uint64         `json:"version"`
	Data    json.RawMessage `json:"data"`
	Deleted bool            `json:"deleted"`
}

// itemMode says which Item shapes a decoder accepts.
type itemMode int

const (
	itemLive     itemMode = iota // data required (GET by id, list pages)
	itemAny                      // data or tombstone (error "current")
	itemSnapshot                 // data, tombstone or stale (WebSocket snapshot)
)

func (r *rawItem) item(what, field string, mode itemMode) (Item, error) {
	if r.ID == nil {
		return Item{}, malformed(what, field+"id", "is required")
	}
	if !ValidID(*r.ID) {
		return Item{}, malformed(what, field+"id", "is not a valid id")
	}
	if r.Version == nil {
		return Item{}, malformed(what, field+"version", "is required")
	}
	if *r.Version == 0 || *r.Version > MaxSafeInteger {
		return Item{}, malformed(what, field+"version", "must be from 1 to 2^53-1")
	}
	deleted := r.Deleted
	hasData := len(r.Data) > 0 && string(r.Data) != "null"
	switch {
	case deleted && hasData:
		return Item{}, malformed(what, field+"data", "must be absent when deleted is true")
	case hasData && !isJSONObject(r.Data):
		return Item{}, malformed(what, field+"data", "must be a JSON object")
	case deleted && mode == itemLive:
		return Item{}, malformed(what, field+"deleted", "must be false here")
	case !deleted && !hasData && mode != itemSnapshot:
		return Item{}, malformed(what, field+"data", "is required")
	}
	it := Item{ID: *r.ID, Version: *r.Version, Deleted: deleted}
	if hasData {
		it.Data = r.Data
	}
	return it, nil
}

// isJSONObject reports whether already-validated JSON text is an object.
func isJSONObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c == '{'
	}
	return false
}

func index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]." }
