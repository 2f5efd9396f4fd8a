package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandemkit/tandem/pkg/wire"
)

// Handler returns the HTTP handler of the API: /api/{collection},
// /api/{collection}/{id} and the WebSocket at /api/ws. Mount it at the root
// of the mux ("/api/" or "/"). Register every entity first: after Handler,
// Register fails. Every request first passes the Host allow-list
// (Options.AllowedHosts, see CheckHost).
func (s *Server) Handler() http.Handler {
	s.serving.Store(true)
	if s.configErr != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.log.Error("request refused: the server is misconfigured", "err", s.configErr)
			writeJSON(w, http.StatusInternalServerError, internalBody)
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/ws", s.serveWS)
	mux.HandleFunc("/api/{collection}", s.serveCollection)
	mux.HandleFunc("/api/{collection}/{id}", s.serveItem)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound("route "+clip(r.URL.Path, 200)))
	})
	return s.recoverer(s.CheckHost(s.cors(mux)))
}

// recoverer turns a panic in a handler into a logged 500.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, internalBody)
			}
		}()
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, e *Error) {
	if e.Status == http.StatusMethodNotAllowed {
		e.Code = wire.CodeMethodNotAllowed
	}
	writeJSON(w, e.Status, e.body())
}

// fail answers err: its mapped answer, or a logged 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if he := httpError(err); he != nil {
		if he.cause != nil && he.Status >= 500 {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", he.Status, "err", he.cause)
		}
		writeError(w, he)
		return
	}
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeJSON(w, http.StatusInternalServerError, internalBody)
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, &Error{Status: http.StatusMethodNotAllowed, Message: "allowed methods: " + allow})
}

// begin authenticates the request and finds its collection.
func (s *Server) begin(w http.ResponseWriter, r *http.Request) (context.Context, entityOps, bool) {
	ctx := r.Context()
	if s.opts.Authenticate != nil {
		c, err := s.opts.Authenticate(r)
		if err != nil {
			he := httpError(err)
			if he == nil || he.Status == http.StatusForbidden {
				he = &Error{Status: http.StatusUnauthorized, Code: wire.CodeUnauthorized, Message: "unauthorized"}
			}
			s.log.Info("request not authenticated", "method", r.Method, "path", r.URL.Path, "err", err)
			writeError(w, he)
			return nil, nil, false
		}
		if c != nil {
			ctx = c
		}
	}
	coll := r.PathValue("collection")
	e, ok := s.entity(coll)
	if !ok {
		writeError(w, errNotFound("collection "+strconv.Quote(coll)))
		return nil, nil, false
	}
	return ctx, e, true
}

func (s *Server) serveCollection(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if ctx, e, ok := s.begin(w, r); ok {
			s.list(ctx, w, r, e)
		}
	case http.MethodPost:
		if ctx, e, ok := s.begin(w, r); ok {
			s.mutate(ctx, w, r, e, OpCreate, "")
		}
	default:
		methodNotAllowed(w, "GET, HEAD, POST")
	}
}

func (s *Server) serveItem(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if ctx, e, ok := s.begin(w, r); ok {
			s.get(ctx, w, r, e, id)
		}
	case http.MethodPatch, http.MethodDelete:
		ctx, e, ok := s.begin(w, r)
		if !ok {
			return
		}
		if r.Method == http.MethodPatch && !e.updatable() {
			methodNotAllowed(w, "GET, HEAD, DELETE")
			return
		}
		op := OpUpdate
		if r.Method == http.MethodDelete {
			op = OpDelete
		}
		s.mutate(ctx, w, r, e, op, id)
	default:
		methodNotAllowed(w, "GET, HEAD, PATCH, DELETE")
	}
}

// cursor is the decoded ?after= of a list: the first page's watermark and
// the last id served.
type cursor struct {
	Epoch     string `json:"e"`
	Seq       uint64 `json:"s"`
	After     string `json:"a"`
	Partition string `json:"p,omitempty"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || !wire.ValidEpoch(c.Epoch) || !wire.ValidID(c.After) {
		return cursor{}, errBadRequest("?after= must be the \"next\" value of the previous page")
	}
	return c, nil
}

func (s *Server) list(ctx context.Context, w http.ResponseWriter, r *http.Request, e entityOps) {
	q := r.URL.Query()
	coll := e.collection()
	key := q.Get("partition")
	switch {
	case e.partition() == "" && q.Has("partition"):
		writeError(w, errBadRequest("%s is not partitioned: list it without ?partition=", coll))
		return
	case e.partition() != "" && !wire.ValidID(key):
		writeError(w, errBadRequest("%s is partitioned by %s: list one partition with ?partition=<%s>", coll, e.partition(), e.partition()))
		return
	}
	if err := e.authorize(ctx, Request{Op: OpList, Collection: coll, Partition: key}); err != nil {
		s.fail(w, r, err)
		return
	}
	limit := s.opts.PageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, errBadRequest("?limit= must be a positive integer"))
			return
		}
		limit = min(n, s.opts.MaxPageSize)
	}
	var cur *cursor
	if v := q.Get("after"); v != "" {
		c, err := decodeCursor(v)
		if err == nil && c.Partition != key {
			err = errBadRequest("?after= belongs to a listing of another partition")
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		cur = &c
	}
	topic := coll
	if key != "" {
		topic = wire.PartitionTopic(key, coll)
	}
	page := wire.SnapshotPage{Items: []wire.Item{}}
	err := s.store.View(ctx, func(rt ReadTx) error {
		st, err := s.topicState(ctx, rt, topic)
		if err != nil {
			return err
		}
		page.Epoch, page.Seq = st.Epoch, st.Seq
		after := ""
		if cur != nil {
			if cur.Epoch != st.Epoch {
				return errBadRequest("the listing's epoch changed: start again without ?after=")
			}
			page.Seq, after = cur.Seq, cur.After
		}
		var recs []Record
		if key != "" {
			recs, err = rt.ListPartition(ctx, coll, key, after, limit+1, false)
		} else {
			recs, err = rt.List(ctx, coll, after, limit+1, false)
		}
		if err != nil {
			return err
		}
		if len(recs) > limit {
			recs = recs[:limit]
			page.Next = encodeCursor(cursor{Epoch: page.Epoch, Seq: page.Seq, After: recs[limit-1].ID, Partition: key})
		}
		for _, rec := range recs {
			page.Items = append(page.Items, itemOf(rec))
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := json.Marshal(page)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// topicState reads the head of a topic. A partition's topic is created on
// its first write: before that it is an empty log of its collection's
// epoch.
func (s *Server) topicState(ctx context.Context, rt ReadTx, topic string) (TopicState, error) {
	st, found, err := rt.Topic(ctx, topic)
	if err != nil || found {
		return st, err
	}
	key, coll := wire.SplitTopic(topic)
	if key == "" {
		return TopicState{}, fmt.Errorf("server: topic %q missing from the store", topic)
	}
	return TopicState{Epoch: s.epoch(coll)}, nil
}

func (s *Server) get(ctx context.Context, w http.ResponseWriter, r *http.Request, e entityOps, id string) {
	partitioned := e.partition() != ""
	if !partitioned {
		if err := e.authorize(ctx, Request{Op: OpGet, Collection: e.collection(), ID: id}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	var rec Record
	var found bool
	err := s.store.View(ctx, func(rt ReadTx) error {
		var err error
		rec, found, err = rt.Get(ctx, e.collection(), id)
		return err
	})
	if err == nil && found && partitioned {
		// The partition decides who may read it: known once it is read.
		err = e.authorize(ctx, Request{Op: OpGet, Collection: e.collection(), ID: id, Partition: rec.Partition})
	}
	switch {
	case err != nil:
		s.fail(w, r, err)
	case !found:
		writeError(w, errNotFound(e.collection()+"/"+id))
	case rec.Deleted:
		it := itemOf(rec)
		he := errNotFound(e.collection() + "/" + id)
		he.Message += " (deleted)"
		he.Current = &it
		writeError(w, he)
	default:
		body, err := json.Marshal(itemOf(rec))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set(wire.HeaderETag, wire.FormatETag(rec.Version))
		writeJSON(w, http.StatusOK, body)
	}
}

// mutationHeaders reads X-Client-ID and X-Mutation-ID: both or neither.
func mutationHeaders(r *http.Request) (string, uint64, error) {
	cid, mid := r.Header.Get(wire.HeaderClientID), r.Header.Get(wire.HeaderMutationID)
	if cid == "" && mid == "" {
		return "", 0, nil
	}
	if cid == "" || mid == "" {
		return "", 0, errBadRequest("send both %s and %s, or neither", wire.HeaderClientID, wire.HeaderMutationID)
	}
	if !wire.ValidClientID(cid) {
		return "", 0, errBadRequest("%s must be 32 lowercase hex digits or a lowercase UUID", wire.HeaderClientID)
	}
	n, err := wire.ParseMutationID(mid)
	if err != nil {
		return "", 0, errBadRequest("%s", strings.TrimPrefix(err.Error(), "wire: "))
	}
	return cid, n, nil
}

// readBody checks the media type and reads the body within the size limit
// and BodyTimeout.
//
// Only a body over the limit (413) is a deterministic outcome, recorded like
// any permanent error. Any other read failure — the network cut the body
// off, or it did not arrive in time — says nothing about the mutation: it
// answers 408, which is not recorded, so the client's retry is applied.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: wire.CodeUnsupportedMedia, Message: "Content-Type must be application/json"}
		}
	} else {
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: wire.CodeUnsupportedMedia, Message: "Content-Type must be application/json"}
	}
	disarm := s.bodyDeadline(w)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	disarm(err == nil)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, &Error{Status: http.StatusRequestTimeout, Code: wire.CodeTimeout,
			Message: "the request body did not arrive in full: send it again", cause: err}
	}
	return body, nil
}

// bodyDeadline arms BodyTimeout for reading the body of w's request and
// returns the func that disarms it. The timer is the Clock's; when it fires
// it sets a read deadline in the past, which fails the pending read at once
// (a network deadline is wall-clock time, which an injected Clock may not
// tell). A writer that cannot set deadlines (a test recorder, some
// middleware) reads without one.
//
// After a failed read, disarm(false) leaves the deadline in the past and
// asks to close the connection: net/http would otherwise try to read the
// rest of the body before answering, and wait for a client that never sends
// it.
func (s *Server) bodyDeadline(w http.ResponseWriter) (disarm func(ok bool)) {
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Time{}) != nil {
		return func(bool) {}
	}
	var mu sync.Mutex
	done, fired := false, false
	past := time.Unix(1, 0)
	stop := s.opts.Clock.AfterFunc(s.opts.BodyTimeout, func() {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			fired = true
			_ = rc.SetReadDeadline(past)
		}
	})
	return func(ok bool) {
		stop()
		mu.Lock()
		defer mu.Unlock()
		done = true
		switch {
		case !ok:
			_ = rc.SetReadDeadline(past)
			w.Header().Set("Connection", "close")
		case fired:
			_ = rc.SetReadDeadline(time.Time{})
		}
	}
}

// mutate runs a create, update or delete through the mutator.
func (s *Server) mutate(ctx context.Context, w http.ResponseWriter, r *http.Request, e entityOps, op Op, id string) {
	clientID, mutationID, err := mutationHeaders(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	keys := callerKeys(s.opts.ClientAddr(r), Principal(ctx))
	if ok, wait := s.quota.mutations.take(keys, 1); !ok {
		writeRateLimited(w, rateLimited("too many mutations from this caller: retry later"), wait)
		return
	}
	if clientID != "" {
		if ok, wait := s.quota.dedupBytes.positive(keys); !ok {
			writeRateLimited(w, rateLimited("too much recorded from this caller: retry later"), wait)
			return
		}
	}
	if op != OpDelete {
		addr, n := keys[0], s.bodySize(r)
		if !s.bodies.acquire(ctx, addr, n, min(s.opts.BodyTimeout, maxBodyWait)) {
			w.Header().Set("Connection", "close")
			writeError(w, &Error{Status: http.StatusServiceUnavailable, Code: wire.CodeUnavailable, Message: "the server is busy: retry later"})
			return
		}
		defer s.bodies.release(addr, n)
	}
	j := &job{ctx: ctx, principal: Principal(ctx), clientID: clientID, mutationID: mutationID, keys: keys}
	j.pre = s.prepare(ctx, w, r, e, op, id, j)
	if j.pre != nil {
		if he := httpError(j.pre); clientID == "" || he == nil || !he.recorded() {
			s.fail(w, r, j.pre) // nothing to record: answer without a transaction
			return
		}
	}
	out := s.mut.submit(j)
	if out.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", retryAfter(out.wait))
	}
	body := out.body
	if a := out.answer; a != nil && a.Current != nil && (!a.readers || s.mayRead(ctx, e, a.Current.ID, a.partition)) {
		body = a.body()
	}
	writeJSON(w, out.status, body)
}

// maxBodyWait bounds the wait for MutationMemory, whatever BodyTimeout:
// the wait, the body and the commit must fit in the transport's write
// timeout (60 s by default), or the answer could not be written.
const maxBodyWait = 10 * time.Second

// bodySize is what a mutation's body counts against MutationMemory: its
// declared length, or MaxBodyBytes when it declares none (or more, which
// MaxBytesReader refuses at that size).
func (s *Server) bodySize(r *http.Request) int64 {
	if r.ContentLength >= 0 && r.ContentLength < s.opts.MaxBodyBytes {
		return max(r.ContentLength, 512)
	}
	return s.opts.MaxBodyBytes
}

// mayRead reports whether the caller may read entity id of e: the check
// that lets a 409 carry the current entity. It runs Authorize (OpGet) only
// when the answer has an entity to show, outside the transaction.
func (s *Server) mayRead(ctx context.Context, e entityOps, id, partition string) bool {
	err := e.authorize(ctx, Request{Op: OpGet, Collection: e.collection(), ID: id, Partition: partition})
	if he := httpError(err); he != nil && he.Status >= 500 {
		s.log.Info("409 answered without current: the read check failed", "collection", e.collection(), "id", id, "err", he.cause)
	}
	return err == nil
}

// prepare checks everything that needs no transaction and sets j.run. The
// error it returns is the mutation's answer: recorded if it is permanent
// (Error.recorded), answered at once otherwise.
func (s *Server) prepare(ctx context.Context, w http.ResponseWriter, r *http.Request, e entityOps, op Op, id string, j *job) error {
	if op != OpCreate && !wire.ValidID(id) {
		return errNotFound(e.collection() + "/" + id)
	}
	var ifMatch uint64
	if v := r.Header.Get(wire.HeaderIfMatch); v != "" && op != OpCreate {
		n, err := wire.ParseIfMatch(v)
		if err != nil {
			return errBadRequest("%s", strings.TrimPrefix(err.Error(), "wire: "))
		}
		ifMatch = n
	}
	var body []byte
	if op != OpDelete {
		var err error
		if body, err = s.readBody(w, r); err != nil {
			return err
		}
	}
	coll := e.collection()
	epoch := s.epoch(coll)
	if e.partition() != "" {
		return s.preparePartitioned(ctx, e, op, id, body, ifMatch, epoch, j)
	}
	switch op {
	case OpCreate:
		newID, v, err := e.parseCreate(body)
		if err != nil {
			return err
		}
		if err := e.authorize(ctx, Request{Op: op, Collection: coll, ID: newID}); err != nil {
			return err
		}
		j.run = func(tx *Tx) (int, []byte, error) {
			w, data, err := e.create(tx, newID, v)
			if err != nil {
				return 0, nil, err
			}
			return mutationBody(http.StatusCreated, newID, epoch, w, data, j.mutationID)
		}
	case OpUpdate, OpDelete:
		if err := e.authorize(ctx, Request{Op: op, Collection: coll, ID: id}); err != nil {
			return err
		}
		var patch map[string]json.RawMessage
		var keys []string
		if op == OpUpdate {
			var err error
			if patch, keys, err = e.parsePatch(body); err != nil {
				return err
			}
		}
		j.run = change(e, op, id, epoch, j, patch, keys, func(tx *Tx) (Record, error) { return tx.loadForChange(coll, id, ifMatch) })
	}
	return nil
}

// change returns the transaction of an update (with patch and keys) or a
// delete of entity id, which load reads as it stands.
func change(e entityOps, op Op, id, epoch string, j *job, patch map[string]json.RawMessage, keys []string, load func(*Tx) (Record, error)) func(*Tx) (int, []byte, error) {
	return func(tx *Tx) (int, []byte, error) {
		cur, err := load(tx)
		if err != nil {
			return 0, nil, err
		}
		if op == OpDelete {
			w, err := e.remove(tx, cur)
			if err != nil {
				return 0, nil, err
			}
			return deleteBody(id, epoch, w, j.mutationID)
		}
		w, data, err := e.update(tx, cur, patch, keys)
		if err != nil {
			return 0, nil, err
		}
		return mutationBody(http.StatusOK, id, epoch, w, data, j.mutationID)
	}
}

// preparePartitioned is prepare for a partitioned collection: Authorize
// sees the partition each write reads or writes. A create names its own;
// an update or a delete is authorized in the partition the entity is in,
// read before the transaction, and an update that moves it in the new one
// too. Should the entity have moved meanwhile, the transaction answers
// 503 (not recorded) rather than write under a check made for another
// partition: the client's retry is checked again.
func (s *Server) preparePartitioned(ctx context.Context, e entityOps, op Op, id string, body []byte, ifMatch uint64, epoch string, j *job) error {
	coll := e.collection()
	if op == OpCreate {
		newID, v, err := e.parseCreate(body)
		if err != nil {
			return err
		}
		if err := e.authorize(ctx, Request{Op: op, Collection: coll, ID: newID, Partition: e.createPartition(v)}); err != nil {
			return err
		}
		j.run = func(tx *Tx) (int, []byte, error) {
			w, data, err := e.create(tx, newID, v)
			if err != nil {
				return 0, nil, err
			}
			return mutationBody(http.StatusCreated, newID, epoch, w, data, j.mutationID)
		}
		return nil
	}
	var patch map[string]json.RawMessage
	var keys []string
	if op == OpUpdate {
		var err error
		if patch, keys, err = e.parsePatch(body); err != nil {
			return err
		}
	}
	var rec Record
	var found bool
	err := s.store.View(ctx, func(rt ReadTx) error {
		var err error
		rec, found, err = rt.Get(ctx, coll, id)
		return err
	})
	if err != nil {
		return fromStore(err)
	}
	if !found {
		return errNotFound(coll + "/" + id)
	}
	from := rec.Partition
	if err := e.authorize(ctx, Request{Op: op, Collection: coll, ID: id, Partition: from}); err != nil {
		return err
	}
	if to := e.patchPartition(patch); to != "" && to != from {
		if err := e.authorize(ctx, Request{Op: op, Collection: coll, ID: id, Partition: to}); err != nil {
			return err
		}
	}
	load := func(tx *Tx) (Record, error) {
		cur, err := tx.loadForChange(coll, id, ifMatch)
		if err == nil && cur.Partition != from {
			err = &Error{Status: http.StatusServiceUnavailable, Code: wire.CodeUnavailable,
				Message: coll + "/" + id + " moved to another partition meanwhile: send the request again"}
		}
		return cur, err
	}
	j.run = change(e, op, id, epoch, j, patch, keys, load)
	return nil
}

func deleteBody(id, epoch string, w written, mutationID uint64) (int, []byte, error) {
	b, err := json.Marshal(wire.DeleteResponse{ID: id, Version: w.version, Deleted: true, Topic: w.topic, Seq: w.seq, Epoch: epoch, MutationID: mutationID})
	return http.StatusOK, b, err
}

func mutationBody(status int, id, epoch string, w written, data []byte, mutationID uint64) (int, []byte, error) {
	b, err := json.Marshal(wire.MutationResponse{ID: id, Version: w.version, Data: data, Topic: w.topic, Seq: w.seq, Epoch: epoch, MutationID: mutationID})
	return status, b, err
}
