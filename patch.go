// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// Patch formats.
const (
	MergePatch = "merge" // RFC 7396
	JSONPatch  = "json"  // RFC 6902
	// XMLMergePatch is a merge patch transcribed from an XML body: a merge
	// patch whose free-form values (a user's settings) carry no types yet.
	XMLMergePatch = "xml-merge"
)

// ApplyPatch applies a patch of the given format to doc. A patch that is
// not well-formed is CodeMalformed; a JSON Patch whose test fails or that
// cannot apply to doc is CodePatchConflict.
//
// The patch is checked by CheckJSON first (nesting depth, numbers, control
// characters), and the result's depth by CheckDepth (copies can deepen a
// document; what the result holds is validation's to judge). The work a
// JSON Patch may cause is bounded: every operation reads the whole
// document, so the number of operations times the document's size may be
// at most MaxPatchWork (CodeTooLarge). An array index RFC 6901 does not
// allow ("01", "+1") is CodePatchConflict.
func ApplyPatch(format string, doc, patch []byte) ([]byte, error) {
	if err := CheckJSON(patch); err != nil {
		return nil, err
	}
	out, err := applyPatch(format, doc, patch)
	if err != nil {
		return nil, err
	}
	if err := CheckDepth(out); err != nil {
		return nil, err
	}
	return out, nil
}

// MaxPatchWork bounds the work of one JSON Patch: its number of
// operations times the size of the document it applies to, in bytes.
const MaxPatchWork = 8 << 20

func applyPatch(format string, doc, patch []byte) ([]byte, error) {
	if format == MergePatch {
		if t := bytes.TrimSpace(patch); len(t) == 0 || t[0] != '{' {
			return nil, Errorf(CodeInvalid, "a merge patch must be a JSON object of the fields to change")
		}
		out, err := jsonpatch.MergePatch(doc, patch)
		if err != nil {
			return nil, Errorf(CodeMalformed, "the merge patch is not valid JSON")
		}
		return out, nil
	}
	ops, err := checkJSONPatch(patch)
	if err != nil {
		return nil, err
	}
	tooMuch := func(size int) error {
		return Errorf(CodeTooLarge, "the JSON Patch is too much work: %d operations on a document of %d bytes (operations × document size may be at most %d MiB); send fewer operations, or a merge patch", len(ops), size, MaxPatchWork>>20)
	}
	if len(ops)*len(doc) > MaxPatchWork {
		return nil, tooMuch(len(doc))
	}
	work := 0
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false
	opts.AccumulatedCopySizeLimit = 2 << 20
	// evanphx/json-patch v5.9.11 mishandles empty-string keys in "test"
	// and in "from" (the public test suite catches it), so those three
	// operations are evaluated here on top of its add, remove and replace.
	emptyKeys := usesEmptyKey(ops)
	if emptyKeys {
		if doc, ops, err = hideEmptyKeys(doc, ops); err != nil {
			return nil, err
		}
	}
	copied := 0
	for _, op := range ops {
		// The document grows as operations add to it: count what each
		// operation reads.
		if work += len(doc); work > MaxPatchWork {
			return nil, tooMuch(len(doc))
		}
		if tok, bad := badArrayIndex(doc, op); bad {
			return nil, Errorf(CodePatchConflict, "the patch cannot be applied: %q is not an array index (RFC 6901: 0, or digits without a leading zero or sign)", tok)
		}
		var err error
		switch op.Kind() {
		case "test":
			err = testOp(doc, op)
		case "copy", "move":
			doc, err = moveOrCopy(doc, op, opts, &copied)
		default:
			doc, err = jsonpatch.Patch{op}.ApplyWithOptions(doc, opts)
		}
		if err != nil {
			var te *jsonpatch.AccumulatedCopySizeError
			if errors.As(err, &te) {
				return nil, Errorf(CodeTooLarge, "the patch makes the document too large")
			}
			return nil, Errorf(CodePatchConflict, "the patch cannot be applied: %s", patchReason(err))
		}
	}
	if emptyKeys {
		return renameKeys(doc, emptyKey, "")
	}
	return doc, nil
}

// emptyKey stands in for the empty member name "" while a patch applies:
// evanphx/json-patch v5.9.11 cannot address members named "" (the JSON
// Patch test suite's "Empty-string element" cases), so such members are
// renamed around the library and renamed back afterwards.
const emptyKey = "\x00roster:empty\x00"

// usesEmptyKey reports whether a pointer of the patch names a member "".
func usesEmptyKey(ops jsonpatch.Patch) bool {
	for _, op := range ops {
		for _, f := range []string{"path", "from"} {
			if p := opPointer(op, f); p != "" && (strings.Contains(p, "//") || strings.HasSuffix(p, "/")) {
				return true
			}
		}
	}
	return false
}

// hideEmptyKeys renames members "" to emptyKey in doc and in the patch's
// pointers and values.
func hideEmptyKeys(doc []byte, ops jsonpatch.Patch) ([]byte, jsonpatch.Patch, error) {
	if bytes.Contains(doc, []byte(`\u0000roster:empty`)) {
		return nil, nil, Errorf(CodePatchConflict, "the patch cannot be applied: the document holds a reserved member name")
	}
	doc, err := renameKeys(doc, "", emptyKey)
	if err != nil {
		return nil, nil, err
	}
	out := make(jsonpatch.Patch, len(ops))
	for i, op := range ops {
		c := jsonpatch.Operation{}
		for k, v := range op {
			c[k] = v
		}
		for _, f := range []string{"path", "from"} {
			if op[f] == nil {
				continue
			}
			segs := strings.Split(opPointer(op, f), "/")
			for j := 1; j < len(segs); j++ {
				if segs[j] == "" {
					segs[j] = emptyKey
				}
			}
			b, _ := json.Marshal(strings.Join(segs, "/"))
			raw := json.RawMessage(b)
			c[f] = &raw
		}
		if v := op["value"]; v != nil {
			b, err := renameKeys(*v, "", emptyKey)
			if err != nil {
				return nil, nil, err
			}
			raw := json.RawMessage(b)
			c["value"] = &raw
		}
		out[i] = c
	}
	return doc, out, nil
}

// renameKeys renames every object member named from to to, at any depth.
func renameKeys(doc []byte, from, to string) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, Errorf(CodeMalformed, "the patch holds a value that is not valid JSON")
	}
	var walk func(any) any
	walk = func(v any) any {
		switch c := v.(type) {
		case map[string]any:
			m := make(map[string]any, len(c))
			for k, x := range c {
				if k == from {
					k = to
				}
				m[k] = walk(x)
			}
			return m
		case []any:
			for i := range c {
				c[i] = walk(c[i])
			}
		}
		return v
	}
	return json.Marshal(walk(v))
}

func opPointer(op jsonpatch.Operation, field string) string {
	var p string
	if raw := op[field]; raw != nil {
		_ = json.Unmarshal(*raw, &p)
	}
	return p
}

func testOp(doc []byte, op jsonpatch.Operation) error {
	got, err := pointerGet(doc, opPointer(op, "path"))
	if err != nil {
		return err
	}
	var want any
	if raw := op["value"]; raw != nil {
		d := json.NewDecoder(bytes.NewReader(*raw))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			return jsonpatch.ErrInvalid
		}
	}
	if !jsonValuesEqual(got, want) {
		return jsonpatch.ErrTestFailed
	}
	return nil
}

func moveOrCopy(doc []byte, op jsonpatch.Operation, opts *jsonpatch.ApplyOptions, copied *int) ([]byte, error) {
	from, path := opPointer(op, "from"), opPointer(op, "path")
	v, err := pointerGet(doc, from)
	if err != nil {
		return nil, err
	}
	value, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if op.Kind() == "move" {
		if from == path {
			return doc, nil
		}
		if strings.HasPrefix(path, from+"/") {
			return nil, jsonpatch.ErrInvalid // a value cannot move into itself
		}
		if doc, err = applyOne(doc, "remove", from, nil, opts); err != nil {
			return nil, err
		}
	} else {
		*copied += len(value)
		if *copied > int(opts.AccumulatedCopySizeLimit) {
			return nil, jsonpatch.NewAccumulatedCopySizeError(opts.AccumulatedCopySizeLimit, int64(*copied))
		}
	}
	return applyOne(doc, "add", path, value, opts)
}

func applyOne(doc []byte, kind, path string, value json.RawMessage, opts *jsonpatch.ApplyOptions) ([]byte, error) {
	p, _ := json.Marshal(path)
	k, _ := json.Marshal(kind)
	op := jsonpatch.Operation{"op": (*json.RawMessage)(&k), "path": (*json.RawMessage)(&p)}
	if value != nil {
		op["value"] = &value
	}
	return jsonpatch.Patch{op}.ApplyWithOptions(doc, opts)
}

// arrayIndexRE matches the reference tokens that Atoi reads as numbers;
// of those, RFC 6901 allows only "0" and digits without a leading zero.
var arrayIndexRE = regexp.MustCompile(`^[+-]?[0-9]+$`)

func canonicalIndex(tok string) bool {
	return tok == "0" || tok[0] >= '1' && tok[0] <= '9' && !strings.ContainsAny(tok, "+-")
}

// badArrayIndex reports a reference token of the operation's pointers
// that addresses an array element with a number RFC 6901 does not allow
// ("01", "+1", "-1"), which evanphx/json-patch would read as an index.
// The same token naming an object member is a plain member name. The
// document is decoded only when a pointer holds such a token.
func badArrayIndex(doc []byte, op jsonpatch.Operation) (string, bool) {
	var v any
	decoded := false
	for _, f := range []string{"from", "path"} {
		p := opPointer(op, f)
		if p == "" {
			continue
		}
		toks := strings.Split(p[1:], "/")
		if !slices.ContainsFunc(toks, func(t string) bool { return arrayIndexRE.MatchString(t) && !canonicalIndex(t) }) {
			continue
		}
		if !decoded {
			d := json.NewDecoder(bytes.NewReader(doc))
			d.UseNumber()
			if d.Decode(&v) != nil {
				return "", false
			}
			decoded = true
		}
		cur := v
		for _, tok := range toks {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch c := cur.(type) {
			case map[string]any:
				cur = c[tok]
			case []any:
				if arrayIndexRE.MatchString(tok) && !canonicalIndex(tok) {
					return tok, true
				}
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(c) {
					cur = nil
				} else {
					cur = c[i]
				}
			default:
				cur = nil
			}
		}
	}
	return "", false
}

// pointerGet returns the value an RFC 6901 pointer names in doc.
func pointerGet(doc []byte, pointer string) (any, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, jsonpatch.ErrInvalid
	}
	if pointer == "" {
		return v, nil
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = c[tok]; !ok {
				return nil, jsonpatch.ErrMissing
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) || (len(tok) > 1 && tok[0] == '0') || tok[0] == '+' {
				return nil, jsonpatch.ErrMissing
			}
			v = c[i]
		default:
			return nil, jsonpatch.ErrMissing
		}
	}
	return v, nil
}

// jsonValuesEqual compares decoded JSON values as RFC 6902's test does:
// numbers by value, objects regardless of key order.
func jsonValuesEqual(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, ex := new(big.Float).SetString(x.String())
		fy, ey := new(big.Float).SetString(y.String())
		return ex && ey && fx.Cmp(fy) == 0
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonValuesEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonValuesEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

func patchReason(err error) string {
	switch {
	case errors.Is(err, jsonpatch.ErrTestFailed):
		return "a test operation failed"
	case errors.Is(err, jsonpatch.ErrMissing):
		return "a path it names does not exist"
	}
	return "a path it names does not exist or does not fit the document"
}

var opFields = map[string][]string{
	"add": {"path", "value"}, "remove": {"path"}, "replace": {"path", "value"},
	"move": {"from", "path"}, "copy": {"from", "path"}, "test": {"path", "value"},
}

// checkJSONPatch parses a JSON Patch and checks that it is an array of
// well-formed operations, before anything is applied.
func checkJSONPatch(patch []byte) (jsonpatch.Patch, error) {
	bad := func(format string, args ...any) error {
		return Errorf(CodeMalformed, "the JSON Patch is not valid: "+format, args...)
	}
	dec := json.NewDecoder(bytes.NewReader(patch))
	var raw []map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, bad("it must be a JSON array of operations such as [{\"op\": \"replace\", \"path\": \"/first_name\", \"value\": \"Ann\"}]")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("there is data after the array")
	}
	if len(raw) > 1000 {
		return nil, bad("at most 1000 operations")
	}
	for i, op := range raw {
		var name string
		if op == nil || json.Unmarshal(op["op"], &name) != nil {
			return nil, bad("operation %d has no \"op\" string", i)
		}
		need, ok := opFields[name]
		if !ok {
			return nil, bad("operation %d: unknown op %q (use add, remove, replace, move, copy or test)", i, name)
		}
		for _, f := range need {
			v, ok := op[f]
			if !ok {
				return nil, bad("operation %d (%s) needs %q", i, name, f)
			}
			if f == "path" || f == "from" {
				var p string
				if json.Unmarshal(v, &p) != nil || !validPointer(p) {
					return nil, bad("operation %d: %q must be a JSON Pointer such as \"/first_name\"", i, f)
				}
			}
		}
	}
	ops, err := jsonpatch.DecodePatch(patch)
	if err != nil {
		return nil, bad("%v", err)
	}
	return ops, nil
}

// validPointer checks RFC 6901 syntax: empty, or "/" segments where "~" is
// followed by 0 or 1.
func validPointer(p string) bool {
	if p == "" {
		return true
	}
	if p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '~' && (i+1 >= len(p) || (p[i+1] != '0' && p[i+1] != '1')) {
			return false
		}
	}
	return true
}

// DecodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data. Syntax errors are CodeMalformed; unknown fields and wrong
// types are CodeInvalid with the field's location.
//
// The data's depth is checked by CheckDepth first; the HTTP layer checks
// request bodies whole with CheckJSON before they get here.
func DecodeStrict(data []byte, v any) error {
	if err := CheckDepth(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return Errorf(CodeMalformed, "the body is not valid JSON: there is data after the first value")
		}
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return Errorf(CodeMalformed, "the body is not valid JSON: %s (at byte %d)", se.Error(), se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(CodeMalformed, "the body is empty or cut short: send a JSON object")
	case errors.As(err, &te):
		loc := "body"
		if te.Field != "" {
			loc += "." + te.Field
		}
		return &Error{Code: CodeInvalid, Message: "a field has the wrong type",
			Fields: []FieldError{{Location: loc, Message: fmt.Sprintf("must be %s, not %s", jsonKind(te.Type.String()), te.Value)}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Code: CodeInvalid, Message: "the body has an unknown field",
			Fields: []FieldError{{Location: "body." + name, Message: "unknown field " + quote(name) + ": check the spelling against the API reference"}}}
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInvalid, Message: "a field has an invalid value", Fields: []FieldError{{Location: "body", Message: err.Error()}}}
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "time.Time"):
		return "an RFC 3339 timestamp"
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "*[]"):
		return "an array"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case strings.Contains(goType, "map"), strings.Contains(goType, "roster."):
		return "an object"
	}
	return "of another type"
}
