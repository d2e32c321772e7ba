// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxDepth is the deepest nesting of arrays and objects that any JSON (or
// XML) input may have, the outermost value being at depth 1. A deeper
// input is refused before it is decoded, so no later step (validation,
// patching, the event feed, the audit log, XML answers) ever sees one.
const MaxDepth = 64

// CheckJSON checks a JSON input for what Go would decode but Roster could
// not keep, in one linear pass and before anything else reads it:
// nesting deeper than MaxDepth (CodeMalformed), numbers no float64 holds
// such as 1e400 (they could be stored and then never be read back), and
// strings or member names holding control characters other than tab,
// line feed and carriage return, or the noncharacters U+FFFE and U+FFFF
// that XML cannot carry (CodeInvalid, naming the field). Syntax errors
// are left to the decoder that follows: CheckJSON stops at the first one
// and reports nothing.
func CheckJSON(data []byte) error { return checkJSON(data, true) }

// CheckDepth is the depth part of CheckJSON, for documents that are not
// (only) input: a patched resource, which may hold values stored before
// input was checked (validation names those that are still wrong).
func CheckDepth(data []byte) error { return checkJSON(data, false) }

func checkJSON(data []byte, full bool) error {
	type frame struct {
		object    bool
		expectKey bool
		key       []byte // the member's name, as written when it has no escapes
		index     int
	}
	stack := make([]frame, 0, 16)
	var bad []FieldError // at most maxFieldErrors
	const maxFieldErrors = 20
	where := func() string {
		var b strings.Builder
		b.WriteString("body")
		for _, f := range stack {
			if b.Len() > 200 {
				b.WriteString("…")
				break
			}
			switch {
			case f.object && len(f.key) > 0:
				b.WriteString(".")
				if len(f.key) > 100 {
					b.Write(f.key[:100])
					b.WriteString("…")
				} else {
					b.Write(f.key)
				}
			case !f.object:
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		return b.String()
	}
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '{' || c == '[':
			if len(stack) >= MaxDepth {
				return &Error{Code: CodeMalformed,
					Message: fmt.Sprintf("the body nests arrays and objects deeper than %d levels, the most Roster accepts", MaxDepth),
					Fields:  []FieldError{{Location: where(), Message: fmt.Sprintf("nested deeper than %d levels: flatten the value", MaxDepth)}}}
			}
			stack = append(stack, frame{object: c == '{', expectKey: c == '{'})
			i++
		case c == '}' || c == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			i++
		case c == ',':
			if n := len(stack); n > 0 {
				if stack[n-1].object {
					stack[n-1].expectKey, stack[n-1].key = true, nil
				} else {
					stack[n-1].index++
				}
			}
			i++
		case c == ':':
			if n := len(stack); n > 0 {
				stack[n-1].expectKey = false
			}
			i++
		case c == '"' && !full:
			end, _ := stringEnd(data, i+1)
			if end < 0 {
				return nil
			}
			i = end + 1
		case c == '"':
			end, escaped := stringEnd(data, i+1)
			if end < 0 {
				return invalidOrNil(bad) // malformed: the decoder says where
			}
			// Without escapes the text is as written, and raw control
			// bytes are a syntax error (stringEnd): only U+FFFE and U+FFFF
			// can be wrong, and nothing needs decoding.
			s := data[i+1 : end]
			if escaped {
				var d string
				if json.Unmarshal(data[i:end+1], &d) != nil {
					return invalidOrNil(bad)
				}
				s = []byte(d)
			}
			i = end + 1
			what, ok := "", true
			if escaped || bytes.Contains(s, []byte("\xef\xbf\xbe")) || bytes.Contains(s, []byte("\xef\xbf\xbf")) {
				what, ok = badChar(string(s))
			}
			isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey
			if isKey {
				if !ok && len(bad) < maxFieldErrors {
					bad = append(bad, FieldError{Location: where(), Message: "a member name holds the " + what + ": names and text may not hold control characters (only tab and line breaks in text)"})
				}
				stack[len(stack)-1].key = s
				continue
			}
			if !ok && len(bad) < maxFieldErrors {
				bad = append(bad, FieldError{Location: where(), Message: "holds the " + what + ": text may not hold control characters other than tab and line breaks"})
			}
		case !full:
			i++
		case c == '-' || '0' <= c && c <= '9':
			j := i + 1
			for j < len(data) && strings.IndexByte("+-0123456789.eE", data[j]) >= 0 {
				j++
			}
			num := data[i:j]
			i = j
			if len(num) > 15 || bytes.ContainsAny(num, "eE") {
				if _, err := strconv.ParseFloat(string(num), 64); errors.Is(err, strconv.ErrRange) && len(bad) < maxFieldErrors {
					bad = append(bad, FieldError{Location: where(), Message: "the number is too large: numbers must fit a 64-bit float (at most about ±1.7976931348623157e308)", Value: string(num)})
				}
			}
		default:
			i++
		}
	}
	return invalidOrNil(bad)
}

func invalidOrNil(fe []FieldError) error {
	if len(fe) == 0 {
		return nil
	}
	return Invalid(fe...)
}

// stringEnd returns the index of the quote that ends the JSON string whose
// contents start at i, and whether it holds escapes; -1 when there is none
// or the string holds raw control bytes (both are syntax errors).
func stringEnd(data []byte, i int) (int, bool) {
	escaped := false
	for ; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i, escaped
		case c == '\\':
			escaped = true
			i++
		case c < 0x20:
			return -1, false
		}
	}
	return -1, false
}

// badChar names the first character of s that Roster does not keep in
// text: C0 controls other than tab, line feed and carriage return, and
// U+FFFE and U+FFFF.
func badChar(s string) (string, bool) {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return fmt.Sprintf("control character %U", r), false
		}
	}
	return "", true
}

// controlIn names the first control character of s (any C0 character,
// tab and line breaks included, and DEL): single-line text such as a name
// holds none.
func controlIn(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || r == 0x7F || r == 0xFFFE || r == 0xFFFF {
			return r, true
		}
	}
	return 0, false
}
