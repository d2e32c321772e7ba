// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// Patch formats.
const (
	MergePatch = "merge" // RFC 7396
	JSONPatch  = "json"  // RFC 6902
)

// ApplyPatch applies a patch of the given format to doc. A patch that is
// not well-formed is CodeMalformed; a JSON Patch whose test fails or that
// cannot apply to doc is CodePatchConflict.
func ApplyPatch(format string, doc, patch []byte) ([]byte, error) {
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
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false
	opts.AccumulatedCopySizeLimit = 2 << 20
	out, err := ops.ApplyWithOptions(doc, opts)
	if err != nil {
		var te *jsonpatch.AccumulatedCopySizeError
		if errors.As(err, &te) {
			return nil, Errorf(CodeTooLarge, "the patch makes the document too large")
		}
		return nil, Errorf(CodePatchConflict, "the patch cannot be applied: %s", patchReason(err))
	}
	return out, nil
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
func DecodeStrict(data []byte, v any) error {
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
