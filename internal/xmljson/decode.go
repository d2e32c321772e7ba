// SPDX-License-Identifier: Apache-2.0

package xmljson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Limits on the documents Decode accepts.
const (
	MaxDepth    = 64      // MaxDepth is the deepest nesting of elements, the root being at depth 1.
	MaxElements = 100_000 // MaxElements is the largest number of elements, the root included.
)

// ErrLimit is the Err of a SyntaxError for a document that is nested deeper
// than MaxDepth or holds more than MaxElements elements.
var ErrLimit = errors.New("xmljson: document too large")

// A SyntaxError reports XML that Decode cannot accept.
type SyntaxError struct {
	Line int    // Line is the 1-based input line of the problem, or 0 if unknown.
	Msg  string // Msg describes the problem.
	Err  error  // Err is the underlying cause, if any.
}

// Error returns the message with its line number.
func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("XML syntax error on line %d: %s", e.Line, e.Msg)
	}
	return "XML syntax error: " + e.Msg
}

// Unwrap returns the underlying cause.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Decode reads one XML document from r and returns it as JSON shaped after t,
// the type that the JSON is meant to be decoded into; t may be nil for free-form
// JSON. The mapping is described in the package documentation. Errors for
// unacceptable XML are of type *SyntaxError; errors from r are returned
// wrapped but otherwise unchanged.
func Decode(r io.Reader, t reflect.Type) ([]byte, error) {
	root, err := parse(r)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	value(&out, root, t, false)
	return out.Bytes(), nil
}

// A node is an element of the parsed document.
type node struct {
	key  string  // key is the JSON key: the element's name or its entry key.
	item bool    // item is set for an <item> element.
	kids []*node // kids are the child elements.
	text []byte  // text is the character data directly inside the element.
}

// readErr remembers the first error of the underlying reader, so that it can
// be told apart from syntax errors.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// parse reads the document into a tree of nodes, enforcing the limits.
func parse(r io.Reader) (*node, error) {
	src := &readErr{r: r}
	d := xml.NewDecoder(src)
	d.CharsetReader = func(string, io.Reader) (io.Reader, error) {
		return nil, errors.New("only UTF-8 is supported")
	}
	fail := func(err error, format string, args ...any) error {
		line, _ := d.InputPos()
		return &SyntaxError{Line: line, Msg: fmt.Sprintf(format, args...), Err: err}
	}
	doc := &node{}        // doc holds the root element as its only child.
	stack := []*node{doc} // stack holds the open elements below doc.
	for elements := 0; ; {
		tok, err := d.Token()
		var se *xml.SyntaxError
		switch {
		case err == io.EOF && len(doc.kids) == 0:
			return nil, fail(nil, "no root element")
		case err == io.EOF:
			return doc.kids[0], nil
		case err != nil && src.err != nil:
			return nil, fmt.Errorf("xmljson: reading XML: %w", src.err)
		case errors.As(err, &se):
			return nil, &SyntaxError{Line: se.Line, Msg: se.Msg, Err: err}
		case err != nil: // Such as an unsupported version or encoding.
			return nil, fail(err, "%s", strings.TrimPrefix(err.Error(), "xml: "))
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			if elements++; elements > MaxElements {
				return nil, fail(ErrLimit, "more than %d elements", MaxElements)
			} else if len(stack) > MaxDepth {
				return nil, fail(ErrLimit, "elements nested deeper than %d levels", MaxDepth)
			} else if top == doc && len(doc.kids) > 0 {
				return nil, fail(nil, "second root element <%s>", t.Name.Local)
			}
			n := &node{key: t.Name.Local, item: t.Name.Local == "item"}
			for _, a := range t.Attr {
				if t.Name.Local == "entry" && a.Name.Space == "" && a.Name.Local == "key" {
					n.key = a.Value
				}
			}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(top.kids) > 0 && !blank(top.text) {
				return nil, fail(nil, "element <%s> mixes text with child elements", t.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if top == doc && !blank(t) {
				return nil, fail(nil, "text outside the root element")
			}
			top.text = append(top.text, t...)
		case xml.Directive:
			return nil, fail(nil, "DOCTYPE and other <! declarations are not allowed")
		}
	}
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// value writes n as JSON shaped after t, or inferred where t does not tell;
// quoted is set for fields with the ",string" option.
func value(out *bytes.Buffer, n *node, t reflect.Type, quoted bool) {
	for i := 0; t != nil && t.Kind() == reflect.Pointer && i < 8; i++ {
		t = t.Elem()
	}
	kind := reflect.Invalid // Free-form.
	if t != nil && t != rawMessageType && (t.Kind() == reflect.Struct ||
		!reflect.PointerTo(t).Implements(jsonUnmarshaler) && !reflect.PointerTo(t).Implements(textUnmarshaler)) {
		kind = t.Kind()
	}
	text := strings.TrimSpace(string(n.text))
	switch {
	case kind == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		// A []byte is a base64 string, written below.
	case (kind == reflect.Slice || kind == reflect.Array) && len(n.kids) == 0 && text == "":
		out.WriteString("[]")
		return
	case (kind == reflect.Slice || kind == reflect.Array) && len(n.kids) > 0 && allItems(n):
		array(out, n, t.Elem())
		return
	case (kind == reflect.Struct || kind == reflect.Map) && len(n.kids) == 0 && text == "":
		out.WriteString("{}")
		return
	case (kind == reflect.Struct || kind == reflect.Map) && len(n.kids) > 0:
		object(out, n, t)
		return
	case kind == reflect.Bool && !quoted && (text == "true" || text == "false"),
		reflect.Int <= kind && kind <= reflect.Float64 && !quoted && isNumber(text):
		out.WriteString(text) // Mixed content is refused, so n has no children.
		return
	}
	switch {
	case len(n.kids) == 0:
		str(out, string(n.text))
	case allItems(n):
		array(out, n, nil)
	default:
		object(out, n, nil)
	}
}

// array writes the children of n as a JSON array of elem values.
func array(out *bytes.Buffer, n *node, elem reflect.Type) {
	out.WriteByte('[')
	for i, k := range n.kids {
		if i > 0 {
			out.WriteByte(',')
		}
		value(out, k, elem, false)
	}
	out.WriteByte(']')
}

// object writes the children of n as a JSON object whose members are shaped
// after the fields of struct t or the values of map t; t may be nil.
func object(out *bytes.Buffer, n *node, t reflect.Type) {
	out.WriteByte('{')
	for i, k := range n.kids {
		if i > 0 {
			out.WriteByte(',')
		}
		str(out, k.key)
		out.WriteByte(':')
		var f field
		if t != nil && t.Kind() == reflect.Map {
			f.typ = t.Elem()
		} else if t != nil {
			f = lookup(t, k.key)
		}
		value(out, k, f.typ, f.quoted)
	}
	out.WriteByte('}')
}

// str writes s as a JSON string.
func str(out *bytes.Buffer, s string) {
	b, _ := json.Marshal(s)
	out.Write(b)
}

// allItems reports whether all children of n are <item> elements.
func allItems(n *node) bool {
	return !slices.ContainsFunc(n.kids, func(k *node) bool { return !k.item })
}

// blank reports whether b is empty or XML white space only.
func blank(b []byte) bool {
	return len(bytes.Trim(b, " \t\r\n")) == 0
}

// isNumber reports whether s is a JSON number.
func isNumber(s string) bool {
	return s != "" && (s[0] == '-' || '0' <= s[0] && s[0] <= '9') && json.Valid([]byte(s))
}

// A field is a JSON member of a struct type.
type field struct {
	name   string
	typ    reflect.Type
	quoted bool
}

var fieldCache sync.Map // reflect.Type to []field

// lookup returns the field of struct t that encoding/json would fill from
// key: an exact match first, else a case-insensitive one. The zero field, a
// free-form one, stands for a key that matches nothing.
func lookup(t reflect.Type, key string) field {
	cached, ok := fieldCache.Load(t)
	if !ok {
		cached, _ = fieldCache.LoadOrStore(t, fields(t, nil, map[reflect.Type]bool{}))
	}
	fs := cached.([]field)
	if i := slices.IndexFunc(fs, func(f field) bool { return f.name == key }); i >= 0 {
		return fs[i]
	}
	if i := slices.IndexFunc(fs, func(f field) bool { return strings.EqualFold(f.name, key) }); i >= 0 {
		return fs[i]
	}
	return field{}
}

// fields appends the JSON fields of struct t to fs, direct fields before the
// fields promoted from embedded structs.
func fields(t reflect.Type, fs []field, seen map[reflect.Type]bool) []field {
	if seen[t] {
		return fs
	}
	seen[t] = true
	var embedded []reflect.Type
	for sf := range t.Fields() {
		tag := sf.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case tag == "-":
		case sf.Anonymous && name == "" && ft.Kind() == reflect.Struct:
			embedded = append(embedded, ft)
		case sf.IsExported():
			if name == "" {
				name = sf.Name
			}
			quoted := slices.Contains(strings.Split(opts, ","), "string")
			fs = append(fs, field{name: name, typ: sf.Type, quoted: quoted})
		}
	}
	for _, e := range embedded {
		fs = fields(e, fs, seen)
	}
	return fs
}
