package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/tandemkit/tandem/pkg/wire"
)

// Each fuzz target checks: no panic; every error matches ErrMalformed; and a
// decoded value re-encodes to bytes that decode to the same encoding.

func FuzzDecodeClientMessage(f *testing.F) {
	for _, s := range []string{
		`{"t":"hello","v":1,"clientID":"` + cid + `","token":"x"}`,
		`{"t":"sub","topic":"todos","since":{"epoch":"e","seq":3}}`,
		`{"t":"unsub","topic":"a/b"}`, `{"t":"hb"}`, `{"t":"x"}`, `{`, `[]`, `{"t":"sub","topic":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := wire.DecodeClientMessage(b)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		enc, err := wire.EncodeClientMessage(m)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", m, err)
		}
		m2, err := wire.DecodeClientMessage(enc)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", enc, err)
		}
		enc2, _ := wire.EncodeClientMessage(m2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs: %s vs %s", enc, enc2)
		}
	})
}

func FuzzDecodeServerMessage(f *testing.F) {
	for _, s := range []string{
		`{"t":"welcome","v":1,"hbMs":15000,"maxMsg":32768,"lastMutationID":4}`,
		`{"t":"snapshot","topic":"todos","epoch":"e","seq":9,"part":0,"last":true,"items":[{"id":"a","version":3,"data":{"x":1}},{"id":"b","version":5,"deleted":true},{"id":"c","version":2}]}`,
		`{"t":"event","topic":"todos","epoch":"e","seq":42,"prev":41,"id":"a","op":"create","version":42,"data":{"title":"x"},"origin":{"clientID":"` + cid + `","mutationID":17},"ts":1}`,
		`{"t":"event","topic":"todos","epoch":"e","seq":2,"prev":1,"id":"a","op":"invalidate","version":2,"ts":1}`,
		`{"t":"resync","topic":"todos","reason":"gap","mode":"replay"}`,
		`{"t":"live","topic":"todos","epoch":"e","seq":0}`,
		`{"t":"error","code":"forbidden","message":"m","topic":"todos"}`, `{"t":"hb"}`, `{"t":"hello"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := wire.DecodeServerMessage(b)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		enc, err := wire.EncodeServerMessage(m)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", m, err)
		}
		m2, err := wire.DecodeServerMessage(enc)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", enc, err)
		}
		enc2, _ := wire.EncodeServerMessage(m2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs: %s vs %s", enc, enc2)
		}
	})
}

func fuzzREST[T any](f *testing.F, seeds []string, decode func([]byte) (T, error)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decode(b)
		if err != nil && !errors.Is(err, wire.ErrMalformed) {
			t.Fatalf("error %v does not match ErrMalformed", err)
		}
	})
}

func FuzzDecodeItem(f *testing.F) {
	fuzzREST(f, []string{`{"id":"a","version":3,"data":{"x":1}}`, `{"id":"a","version":3,"deleted":true}`}, wire.DecodeItem)
}

func FuzzDecodeSnapshotPage(f *testing.F) {
	fuzzREST(f, []string{`{"items":[{"id":"a","version":1,"data":{}}],"epoch":"e","seq":7,"next":"c"}`}, wire.DecodeSnapshotPage)
}

func FuzzDecodeMutationResponse(f *testing.F) {
	fuzzREST(f, []string{`{"id":"a","version":42,"data":{"t":1},"topic":"todos","seq":42,"mutationID":17,"duplicate":false}`,
		`{"id":"a","version":42,"data":{"t":1},"topic":"todos","seq":42,"epoch":"e1","mutationID":17,"duplicate":false}`}, wire.DecodeMutationResponse)
}

func FuzzDecodeDeleteResponse(f *testing.F) {
	fuzzREST(f, []string{`{"id":"a","version":43,"deleted":true,"topic":"todos","seq":43,"mutationID":18,"duplicate":true}`,
		`{"id":"a","version":43,"deleted":true,"topic":"todos","seq":43,"epoch":"e1","mutationID":18,"duplicate":true}`}, wire.DecodeDeleteResponse)
}

func FuzzDecodeErrorResponse(f *testing.F) {
	fuzzREST(f, []string{`{"error":{"code":"conflict","message":"m","fields":{"a":"b"},"current":{"id":"a","version":1,"data":{}}},"duplicate":true}`}, wire.DecodeErrorResponse)
}

func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{`"42"`, `17`, `W/"1"`, ``, `0`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := wire.ParseIfMatch(s); err == nil {
			if back, err := wire.ParseIfMatch(wire.FormatETag(v)); err != nil || back != v {
				t.Fatalf("If-Match %q: round trip gave %d, %v", s, back, err)
			}
		} else if !errors.Is(err, wire.ErrBadHeader) {
			t.Fatalf("If-Match %q: %v", s, err)
		}
		if _, err := wire.ParseMutationID(s); err != nil && !errors.Is(err, wire.ErrBadHeader) {
			t.Fatalf("X-Mutation-ID %q: %v", s, err)
		}
	})
}
