package store

// A Codec says how a server object (API, the JSON the protocol carries)
// becomes a UI object and back: dates parsed, computed fields filled,
// defaults applied. Both directions are typed, so a mismatch anywhere in the
// pipeline form → UI state → store → API is a compile error.
//
// Decode turns a confirmed server object into what the UI shows. Encode
// turns a UI object (an optimistic create, a patched copy) into the server
// object sent as a request body. Neither may keep a reference to its
// argument's mutable parts.
type Codec[API, UI any] struct {
	Decode func(API) (UI, error)
	Encode func(UI) (API, error)
}

// Identity is the Codec of an app whose UI objects are its server objects.
func Identity[T any]() Codec[T, T] {
	return Codec[T, T]{
		Decode: func(v T) (T, error) { return v, nil },
		Encode: func(v T) (T, error) { return v, nil },
	}
}
