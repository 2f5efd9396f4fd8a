package cache_test

import (
	"context"
	"fmt"

	"github.com/tandemkit/tandem/pkg/cache"
)

func ExampleFetch() {
	c := cache.NewClient(cache.ClientOptions{})
	defer c.Close()
	todos := cache.QueryOptions[[]string]{
		Key: cache.Key{"todos", cache.M{"done": false}},
		Fn: func(ctx context.Context, key cache.Key) ([]string, error) {
			return []string{"write tests", "ship"}, nil
		},
		StaleTime: cache.Never,
	}
	v, err := cache.Fetch(context.Background(), c, todos)
	fmt.Println(v, err)
	// The second call is served from the cache: the data is fresh.
	v, _ = cache.Fetch(context.Background(), c, todos)
	fmt.Println(len(v))
	// Output:
	// [write tests ship] <nil>
	// 2
}

func ExampleObserver() {
	c := cache.NewClient(cache.ClientOptions{})
	defer c.Close()
	done := make(chan struct{})
	o := cache.NewObserver(c, cache.QueryOptions[int]{
		Key: cache.Key{"answer"},
		Fn:  func(context.Context, cache.Key) (int, error) { return 42, nil },
	})
	fmt.Println(o.Result().Status, o.Result().FetchStatus)
	unsubscribe := o.Subscribe(func() {
		if r := o.Result(); r.IsSuccess() {
			fmt.Println(r.Status, r.Data)
			close(done)
		}
	})
	defer unsubscribe()
	<-done
	// Output:
	// pending fetching
	// success 42
}

func ExampleMutation() {
	c := cache.NewClient(cache.ClientOptions{})
	defer c.Close()
	_ = cache.SetQueryData(c, cache.Key{"todos"}, []string{"a"})
	add := cache.NewMutation(c, cache.MutationOptions[string, string]{
		Fn: func(_ context.Context, title string) (string, error) { return title, nil },
		OnSuccess: func(title, _ string, _ any) error {
			return cache.UpdateQueryData(c, cache.Key{"todos"}, func(old []string, ok bool) ([]string, bool) {
				return append(old, title), true
			})
		},
	})
	if _, err := add.Do(context.Background(), "b"); err != nil {
		fmt.Println(err)
	}
	todos, _ := cache.GetQueryData[[]string](c, cache.Key{"todos"})
	fmt.Println(todos, add.Result().Status)
	// Output: [a b] success
}

func ExampleKey_Hash() {
	h, _ := cache.Key{"todos", cache.M{"page": 1, "done": true}}.Hash()
	fmt.Println(h)
	_, err := cache.Key{struct{}{}}.Hash()
	fmt.Println(err)
	// Output:
	// ["todos",{"done":true,"page":1}]
	// cache: invalid key: segment 0: unsupported type struct {}
}
