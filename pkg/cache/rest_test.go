package cache_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
)

// fakeREST answers every request with the current body and status.
type fakeREST struct {
	body   atomic.Pointer[string]
	status atomic.Int32
	calls  atomic.Int32
	last   atomic.Pointer[cache.Request]
}

func newFakeREST(body string) *fakeREST {
	f := &fakeREST{}
	f.body.Store(&body)
	f.status.Store(200)
	return f
}

func (f *fakeREST) RoundTrip(ctx context.Context, req *cache.Request) (*cache.Response, error) {
	f.calls.Add(1)
	f.last.Store(req)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &cache.Response{Status: int(f.status.Load()), Body: []byte(*f.body.Load())}, nil
}

func TestJSONHelperUnchangedRefetchKeepsDataAndNotifiesNobody(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		srv := newFakeREST(`[{"ID":1,"Title":"a"}]`)
		api := &cache.REST{Transport: srv, BaseURL: "https://api.test"}
		o := cache.NewObserver(e.c, cache.QueryOptions[[]todo]{
			Key: key("todos"), Fn: cache.GetJSON[[]todo](api, func(cache.Key) string { return "/todos" }),
			NotifyOnChange: cache.PropData,
		})
		rec := record(o)
		defer rec.unsub()
		e.settle()
		require.Equal(t, []todo{{ID: 1, Title: "a"}}, o.Result().Data)
		n, v := rec.count(), o.Result().DataVersion
		require.NoError(t, o.Refetch().Wait(e.ctx()))
		e.settle() // Wait returns when the fetch settles; delivery follows on its goroutine
		assert.Equal(t, n, rec.count(), "unchanged body: no notification")
		assert.Equal(t, v, o.Result().DataVersion)
		assert.EqualValues(t, 2, srv.calls.Load())
		assert.Equal(t, "https://api.test/todos", srv.last.Load().URL)

		b := `[{"ID":1,"Title":"b"}]`
		srv.body.Store(&b)
		require.NoError(t, o.Refetch().Wait(e.ctx()))
		e.settle()
		assert.Equal(t, "b", o.Result().Data[0].Title)
		assert.Equal(t, n+1, rec.count())
	})
}

func TestJSONHelperErrors(t *testing.T) {
	bubble(t, func(t *testing.T, e *env) {
		srv := newFakeREST(`{"error":"nope"}`)
		srv.status.Store(404)
		api := &cache.REST{Transport: srv}
		_, err := cache.FetchJSON[todo](e.ctx(), api, "GET", "/x", nil)
		var he *cache.HTTPError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, 404, he.Status)
		assert.JSONEq(t, `{"error":"nope"}`, string(he.Body))

		srv.status.Store(200)
		bad := `{"ID":`
		srv.body.Store(&bad)
		_, err = cache.FetchJSON[todo](e.ctx(), api, "GET", "/x", nil)
		assert.ErrorIs(t, err, cache.ErrDecode)

		srv.status.Store(304)
		_, err = cache.FetchJSON[todo](e.ctx(), api, "GET", "/x", nil)
		assert.ErrorIs(t, err, cache.ErrNotModified)

		srv.status.Store(200)
		ok := `{"ID":2}`
		srv.body.Store(&ok)
		got, err := cache.FetchJSON[todo](e.ctx(), api, "POST", "/x", todo{ID: 2})
		require.NoError(t, err)
		assert.Equal(t, 2, got.ID)
		assert.JSONEq(t, `{"ID":2,"Title":"","Tags":null}`, string(srv.last.Load().Body))
		assert.Equal(t, "application/json", srv.last.Load().Header["content-type"])

		failing := &cache.REST{Transport: cache.TransportFunc(func(context.Context, *cache.Request) (*cache.Response, error) {
			return nil, errors.New("network down")
		})}
		_, err = cache.FetchJSON[todo](e.ctx(), failing, "GET", "/x", nil)
		assert.EqualError(t, err, "network down")
	})
}
