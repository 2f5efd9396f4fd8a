package wire

// NextMember returns the member of the JSON object obj that starts at i,
// 0 for the first: its key, the JSON string as it is (quotes included),
// and its value; next is where the member after it starts, or -1 when obj
// has no more members or is not an object. obj must be valid JSON, as an
// entity is once decoded (PROTOCOL.md §1): reading a field or two of many
// entities this way costs a fraction of decoding them.
func NextMember(obj []byte, i int) (key, val []byte, next int) {
	if i == 0 {
		if i = skipSpace(obj, 0); i >= len(obj) || obj[i] != '{' {
			return nil, nil, -1
		}
		i++
	}
	if i < 0 {
		return nil, nil, -1
	}
	if i = skipSpace(obj, i); i < len(obj) && obj[i] == ',' {
		i = skipSpace(obj, i+1)
	}
	if i >= len(obj) || obj[i] != '"' {
		return nil, nil, -1 // '}'
	}
	kEnd := skipString(obj, i)
	v := skipSpace(obj, kEnd)
	if v >= len(obj) || obj[v] != ':' {
		return nil, nil, -1
	}
	v = skipSpace(obj, v+1)
	next = skipValue(obj, v)
	return obj[i:kEnd], obj[v:next], next
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"').
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}
