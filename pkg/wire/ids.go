package wire

import (
	"errors"
	"strconv"
	"strings"
)

// ValidClientID reports whether s is a clientID of PROTOCOL.md §1: 32
// lowercase hex digits, or a UUID in its lowercase 8-4-4-4-12 text form.
func ValidClientID(s string) bool {
	switch len(s) {
	case 32:
		return isLowerHex(s)
	case 36:
		for i := 0; i < len(s); i++ {
			c := s[i]
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if c != '-' {
					return false
				}
			} else if !isLowerHexByte(c) {
				return false
			}
		}
		return true
	}
	return false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLowerHexByte(s[i]) {
			return false
		}
	}
	return true
}

func isLowerHexByte(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// ValidID reports whether s is an entity id: 1 to MaxIDLen bytes of the URL
// unreserved characters A–Z a–z 0–9 - . _ ~, so that an id is a path segment
// as it is, except "." and "..", which URL resolution removes from a path
// (a router, a proxy and every browser clean /api/todos/.. to /api/). UUIDs
// are valid ids.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			return false
		}
	}
	return true
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// ValidTopic reports whether s is a topic: a collection name, or the topic
// of one partition of a partitioned collection, "key/collection"
// (PartitionTopic). The key is a valid entity id (ValidID), the collection
// 1 or more of A–Z a–z 0–9 - . _ ~, and the whole is at most MaxTopicLen
// bytes.
func ValidTopic(s string) bool {
	if len(s) == 0 || len(s) > MaxTopicLen {
		return false
	}
	key, coll, found := strings.Cut(s, "/")
	if found {
		return ValidID(key) && validSegment(coll)
	}
	return validSegment(s)
}

// ValidCollection reports whether s is a collection name (a topic without a
// partition key).
func ValidCollection(s string) bool {
	return len(s) <= MaxTopicLen && validSegment(s)
}

// PartitionTopic returns the topic of partition key of a partitioned
// collection: "key/collection", as PROTOCOL.md §1 writes a tenant's topic.
// key must be a valid id and collection a valid collection name for the
// result to be a valid topic.
func PartitionTopic(key, collection string) string { return key + "/" + collection }

// SplitTopic returns the partition key and the collection of a topic: ""
// and the topic itself for a collection synced whole.
func SplitTopic(topic string) (key, collection string) {
	if k, c, found := strings.Cut(topic, "/"); found {
		return k, c
	}
	return "", topic
}

func validSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			return false
		}
	}
	return true
}

// ValidEpoch reports whether s is an epoch: 1 to MaxEpochLen printable ASCII
// bytes without spaces or quotes.
func ValidEpoch(s string) bool {
	if len(s) == 0 || len(s) > MaxEpochLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// ErrBadHeader is wrapped by the header parsers below.
var ErrBadHeader = errors.New("wire: malformed header")

// ParseMutationID parses an X-Mutation-ID header value: a decimal integer
// from 1 to 2^53-1 (the largest integer a JavaScript number holds exactly).
func ParseMutationID(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || n > MaxSafeInteger || (len(s) > 1 && s[0] == '0') {
		return 0, &headerError{name: HeaderMutationID, value: s, want: "an integer from 1 to 2^53-1"}
	}
	return n, nil
}

// MaxSafeInteger is the largest integer a JavaScript number holds exactly;
// mutationIDs, seqs and versions stay at or below it.
const MaxSafeInteger = 1<<53 - 1

// FormatETag formats a version as the quoted entity tag used by the ETag
// response header and the If-Match request header, e.g. "42" with quotes.
func FormatETag(version uint64) string {
	return `"` + strconv.FormatUint(version, 10) + `"`
}

// ParseIfMatch parses an If-Match header value: one quoted version as
// FormatETag writes it, from 1 to 2^53-1. A weak tag (W/"42"), a list, "*"
// and "0" (no entity has version 0, so it could only mean "no
// precondition") are rejected.
func ParseIfMatch(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if len(s) < 3 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, &headerError{name: HeaderIfMatch, value: s, want: `one quoted version such as "42"`}
	}
	n, err := strconv.ParseUint(s[1:len(s)-1], 10, 64)
	if err != nil || n == 0 || n > MaxSafeInteger {
		return 0, &headerError{name: HeaderIfMatch, value: s, want: `one quoted version such as "42"`}
	}
	return n, nil
}

type headerError struct{ name, value, want string }

func (e *headerError) Error() string {
	v := e.value
	if len(v) > 64 {
		v = v[:64] + "…"
	}
	return "wire: header " + e.name + " is " + strconv.Quote(v) + "; want " + e.want
}

func (e *headerError) Unwrap() error { return ErrBadHeader }
