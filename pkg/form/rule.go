package form

// rule is one test of a field value. check returns "" when the value passes
// and the default message otherwise; msg, when set by Msg, replaces it.
type rule[V any] struct {
	check func(V) string
	msg   string
}

// rules is the ordered rule list shared by the field builders.
type rules[V any] []rule[V]

// first returns the message of the first failing rule, or "".
func (rs rules[V]) first(v V) string {
	for _, r := range rs {
		if m := r.check(v); m != "" {
			if r.msg != "" {
				return r.msg
			}
			return m
		}
	}
	return ""
}

// clone returns a copy that shares no backing array with rs.
func (rs rules[V]) clone() rules[V] { return append(rules[V](nil), rs...) }

// withMsg replaces the message of the most recently added rule.
func (rs rules[V]) withMsg(msg string) {
	if len(rs) > 0 {
		rs[len(rs)-1].msg = msg
	}
}

func test[V any](ok func(V) bool, msg string) rule[V] {
	return rule[V]{check: func(v V) string {
		if ok(v) {
			return ""
		}
		return msg
	}}
}

// oneOf returns a rule accepting only the listed values.
func oneOf[V comparable](values []V, format func(V) string) rule[V] {
	msg := "must be one of: "
	for i, v := range values {
		if i > 0 {
			msg += ", "
		}
		msg += format(v)
	}
	set := append([]V(nil), values...)
	return test(func(v V) bool {
		for _, s := range set {
			if v == s {
				return true
			}
		}
		return false
	}, msg)
}
