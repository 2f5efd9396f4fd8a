package server

import (
	"context"
	"errors"
	"time"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A Store persists entities, the per-topic event log (the outbox), topic
// epochs and seqs, and per-client mutation records. The server needs
// nothing else from a database; SQLite (OpenSQLite) is the default,
// PostgreSQL (OpenPostgres) serves several instances on one database.
//
// Contract for implementations:
//   - Update runs fn in one read-write transaction and commits it when fn
//     returns nil, durably: once Update returns nil the writes survive a
//     crash. It rolls back when fn returns an error or panics.
//   - Update transactions are serializable with respect to each other. A
//     Server commits mutations from one goroutine and prunes dedup records
//     from another (in short chunks), and several servers may share a store (SQLite: one writer at a time;
//     PostgreSQL: SERIALIZABLE with retry, or a transaction-level lock).
//   - View runs fn in a read-only transaction that sees one consistent
//     snapshot of the store for all its reads. The server keeps Views short:
//     it never waits on the network inside one (a snapshot for a WebSocket
//     is read page by page, one View each).
//   - Every method is safe for concurrent use; a ReadTx or WriteTx is used by
//     one goroutine, only during the fn it was passed to.
type Store interface {
	View(ctx context.Context, fn func(ReadTx) error) error
	Update(ctx context.Context, fn func(WriteTx) error) error
	Close() error
}

// A Record is one stored entity: a live object (Data is its JSON object) or
// a tombstone (Deleted, Data nil). Version is the seq of the event that last
// changed it; in a partitioned collection, the value of the collection's
// version clock at that change (see ListPartition). Partition is the
// entity's partition key in a partitioned collection (a tombstone keeps its
// last one), "" otherwise.
type Record struct {
	Collection string
	ID         string
	Partition  string
	Version    uint64
	Deleted    bool
	Data       []byte
}

// An EventRecord is one outbox row: one change of one entity. Prev is always
// Seq-1. ClientID is "" (and MutationID 0) when the change had no client
// mutation as its origin. TS is the commit time in Unix milliseconds.
type EventRecord struct {
	Topic      string
	Seq        uint64
	ID         string
	Op         wire.Op
	Version    uint64
	Data       []byte
	ClientID   string
	MutationID uint64
	TS         int64
	// Access is the access generation of the topic when the event was
	// committed (see WriteTx.BumpAccess).
	Access uint64
}

// A TopicState is the head of one topic log. MinSeq is the seq of the oldest
// event still retained, or 0 when the outbox holds none for the topic.
// Access counts the changes of who may read the topic (BumpAccess).
type TopicState struct {
	Epoch  string
	Seq    uint64
	MinSeq uint64
	Access uint64
}

// A StoredResponse is the recorded answer to one (clientID, mutationID).
type StoredResponse struct {
	Status int
	Body   []byte
}

// A ClientState is the dedup record of one clientID: the principal it is
// bound to (see WithPrincipal), the highest mutationID recorded as processed
// and when its last answer was recorded (millisecond precision).
type ClientState struct {
	Principal      string
	LastMutationID uint64
	Seen           time.Time
}

// A ReadTx reads one consistent snapshot.
type ReadTx interface {
	// Topic returns the head of a topic log; found is false for an unknown
	// topic.
	Topic(ctx context.Context, topic string) (st TopicState, found bool, err error)
	// Get returns one entity, live or tombstone.
	Get(ctx context.Context, collection, id string) (rec Record, found bool, err error)
	// List returns up to limit entities of a collection with id > afterID in
	// id order; tombstones only when withDeleted.
	List(ctx context.Context, collection, afterID string, limit int, withDeleted bool) ([]Record, error)
	// ListPartition is List over the entities of one partition of a
	// collection (Record.Partition). With withDeleted it also returns the
	// entities that left the partition for another (SetDeparted), as
	// tombstones with the version of their departure, so that a snapshot of
	// the partition accounts for every entity it ever held.
	ListPartition(ctx context.Context, collection, partition, afterID string, limit int, withDeleted bool) ([]Record, error)
	// Topics returns up to limit topic names greater than after, in order.
	Topics(ctx context.Context, after string, limit int) ([]string, error)
	// Events returns up to limit events of a topic with seq > afterSeq in seq
	// order.
	Events(ctx context.Context, topic string, afterSeq uint64, limit int) ([]EventRecord, error)
	// Client returns the dedup record of a clientID; found is false for a
	// client with no recorded answer (or one pruned by PruneClients).
	Client(ctx context.Context, clientID string) (c ClientState, found bool, err error)
	// Lookup returns, in id order, the ids of a collection's entities whose
	// index holds key.
	Lookup(ctx context.Context, collection, index, key string) ([]string, error)
}

// A WriteTx reads and writes inside one Update.
type WriteTx interface {
	ReadTx
	// CreateTopic creates a topic log with the given epoch and seq 0 unless
	// it exists, and returns its state either way.
	CreateTopic(ctx context.Context, topic, epoch string) (TopicState, error)
	// NextSeq increments a topic's seq and returns the new value, with the
	// topic's access generation. The topic must exist (else ErrNoTopic).
	NextSeq(ctx context.Context, topic string) (seq, access uint64, err error)
	// BumpAccess increments a topic's access generation, which counts the
	// changes of who may read it, and returns the new value. The topic must
	// exist (else ErrNoTopic).
	BumpAccess(ctx context.Context, topic string) (uint64, error)
	// SetDeparted records that entity id left partition of collection at
	// version (ListPartition returns it as a tombstone); version 0 forgets
	// it, when the entity comes back.
	SetDeparted(ctx context.Context, collection, partition, id string, version uint64) error
	// ResetTopic gives an existing topic a new epoch and drops its retained
	// events; its seq goes on from where it was, so entity versions stay
	// comparable. See ResetLog.
	ResetTopic(ctx context.Context, topic, epoch string) error
	// Put inserts or replaces an entity, with its partition.
	Put(ctx context.Context, rec Record) error
	// AppendEvent appends an event to its topic's outbox, then drops the
	// topic's events with seq <= ev.Seq-keep (keep >= 1).
	AppendEvent(ctx context.Context, ev EventRecord, keep int) error
	// DropEvents drops a topic's events with seq <= through, so that what
	// stays is still a contiguous run of the log (retention by age).
	DropEvents(ctx context.Context, topic string, through uint64) error
	// Response returns the stored answer to (clientID, mutationID).
	Response(ctx context.Context, clientID string, mutationID uint64) (r StoredResponse, found bool, err error)
	// SaveResponse stores r as the answer to (clientID, mutationID). It
	// creates the client's record bound to principal if there is none (an
	// existing record keeps its principal), raises its LastMutationID to at
	// least mutationID, sets its Seen to now, and keeps only the client's
	// keep most recent answers.
	SaveResponse(ctx context.Context, clientID, principal string, mutationID uint64, r StoredResponse, keep int, now time.Time) error
	// PruneClients deletes the records and answers of at most limit
	// clients whose Seen is before before, those idle longest first, and
	// returns how many clients it deleted. The server calls it in chunks,
	// each in its own short Update, until a chunk comes back short.
	PruneClients(ctx context.Context, before time.Time, limit int) (int, error)
	// SetIndex replaces the keys an entity has in one index of its
	// collection; no keys removes it from the index.
	SetIndex(ctx context.Context, collection, index, id string, keys []string) error
	// IndexSignatures returns the signature ResetIndex last recorded for
	// each index of a collection, by index name.
	IndexSignatures(ctx context.Context, collection string) (map[string]string, error)
	// ResetIndex removes every key of one index of a collection and records
	// signature for it; signature "" forgets the index altogether.
	ResetIndex(ctx context.Context, collection, index, signature string) error
	// Savepoint, RollbackTo and Release bracket one mutation inside a
	// batched transaction: RollbackTo undoes everything since the savepoint
	// of that name, Release forgets the savepoint.
	Savepoint(ctx context.Context, name string) error
	RollbackTo(ctx context.Context, name string) error
	Release(ctx context.Context, name string) error
}

// ErrStoreClosed is returned by View and Update of a Store after Close.
var ErrStoreClosed = errors.New("server: store closed")

// ErrNoTopic is returned by NextSeq for a topic that was never created.
var ErrNoTopic = errors.New("server: unknown topic")
