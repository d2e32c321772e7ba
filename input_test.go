// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestCheckJSON(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, c := range []struct {
		in   string
		code Code   // "" when accepted
		loc  string // the location named, when refused
	}{
		{`{"a": 1}`, "", ""},
		{deep(MaxDepth), "", ""},
		{deep(MaxDepth + 1), CodeMalformed, "body" + strings.Repeat("[0]", MaxDepth)},
		{`{"settings": {"n": 1e400}}`, CodeInvalid, "body.settings.n"},
		{`{"settings": {"n": -1E+309}}`, CodeInvalid, "body.settings.n"},
		{`{"a": [1, 2, {"b": 1e999}]}`, CodeInvalid, "body.a[2].b"},
		{`[{"op": "add", "value": 1e400}]`, CodeInvalid, "body[0].value"},
		{`{"n": 1e-400, "m": 1.7976931348623157e308, "big": 123456789012345678901234567890}`, "", ""},
		{`{"name": "a\u0000b"}`, CodeInvalid, "body.name"},
		{`{"x": {"a\u001f": 1}}`, CodeInvalid, "body.x"},
		{`{"x": "\uFFFE"}`, CodeInvalid, "body.x"},
		{"{\"x\": \"\uFFFF\"}", CodeInvalid, "body.x"},
		{`{"x": "tab\tand\nlines\r"}`, "", ""},
		{`{"a": "x", "b": ["\u0001"]}`, CodeInvalid, "body.b[0]"},
		{`{"a": "\u0001", "b": 1e400}`, CodeInvalid, "body.a"},
		{`{"a\"b": {"c": 1e400}}`, CodeInvalid, `body.a"b.c`},
		// Syntax errors are the decoder's to report.
		{`{"a": "unterminated`, "", ""},
		{"{\"a\": \"raw \x01 byte\"}", "", ""},
		{`{"a": "bad escape \x"}`, "", ""},
	} {
		err := CheckJSON([]byte(c.in))
		if got := ErrorCode(err); got != c.code {
			t.Errorf("CheckJSON(%.80q): code %q, want %q (%v)", c.in, got, c.code, err)
			continue
		}
		var e *Error
		if c.loc != "" && (!errors.As(err, &e) || len(e.Fields) == 0 || e.Fields[0].Location != c.loc) {
			t.Errorf("CheckJSON(%.80q) = %v, want location %s", c.in, err, c.loc)
		}
	}
	var e *Error
	if err := CheckJSON([]byte(`{"a": "\u0001", "b": 1e400, "c": "ok", "d": {"\u0002": 1}}`)); !errors.As(err, &e) || len(e.Fields) != 3 {
		t.Errorf("every bad field is named: %v", err)
	}
	if err := CheckJSON([]byte(deep(100000))); ErrorCode(err) != CodeMalformed || !strings.Contains(err.Error(), "64 levels") {
		t.Errorf("100,000 levels: %v", err)
	}
}

// checkReference says whether CheckJSON should refuse valid JSON, by
// decoding it: deeper than MaxDepth, a number beyond float64, or a string
// or member name with a character Roster does not keep.
func checkReference(dec *json.Decoder, depth int) bool {
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	switch v := tok.(type) {
	case json.Delim:
		if depth+1 > MaxDepth {
			return true
		}
		bad := false
		for dec.More() {
			if v == '{' {
				k, _ := dec.Token()
				if _, ok := badChar(k.(string)); !ok {
					bad = true
				}
			}
			if checkReference(dec, depth+1) {
				bad = true
			}
		}
		dec.Token()
		return bad
	case json.Number:
		_, err := strconv.ParseFloat(v.String(), 64)
		return errors.Is(err, strconv.ErrRange)
	case string:
		_, ok := badChar(v)
		return !ok
	}
	return false
}

// FuzzCheckJSON checks that CheckJSON never panics, refuses valid JSON
// exactly when decoding it shows something Roster does not keep, and
// refuses only with its two codes.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, `{"n": 1e400}`, `[[[[]]]]`, `{"a\u0000": "b"}`, `"\uFFFE"`, `{"a": [1, -0.5e-3, true, null]}`, strings.Repeat("[", 70)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckJSON(data)
		if c := ErrorCode(err); c != "" && c != CodeInvalid && c != CodeMalformed {
			t.Fatalf("CheckJSON(%q): code %q", data, c)
		}
		if !json.Valid(data) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if want := checkReference(dec, 0); want != (err != nil) {
			t.Fatalf("CheckJSON(%q) = %v, want refused: %v", data, err, want)
		}
	})
}

func BenchmarkCheckJSON(b *testing.B) {
	doc := []byte(`{"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "preferences": {"language": "en-GB", "time_zone": "Europe/London"},
		"settings": {"caller_id_name": "Fax.Plus", "send_fax": {"options": {}, "retry": {"count": 3, "delay": 1.5}, "should_enhance": true}},
		"tags": [{"name": "vip", "color": "#ff0000"}, {"name": "b\u00e9ta"}], "roles": ["member"], "phone": {"country": "GB", "number": "020 7946 0018"}}`)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := CheckJSON(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestApplyPatchArrayIndexesAndWork(t *testing.T) {
	doc := []byte(`{"tags": ["a", "b", "c"], "m": {"01": 1}}`)
	for _, c := range []struct {
		patch string
		code  Code
	}{
		{`[{"op": "remove", "path": "/tags/01"}]`, CodePatchConflict},
		{`[{"op": "remove", "path": "/tags/+1"}]`, CodePatchConflict},
		{`[{"op": "remove", "path": "/tags/-1"}]`, CodePatchConflict},
		{`[{"op": "copy", "from": "/tags/00", "path": "/x"}]`, CodePatchConflict},
		{`[{"op": "remove", "path": "/tags/1"}]`, ""},
		{`[{"op": "add", "path": "/tags/-", "value": "d"}]`, ""},
		{`[{"op": "remove", "path": "/m/01"}]`, ""},
		{`[{"op": "add", "path": "/n", "value": 1e400}]`, CodeInvalid},
	} {
		_, err := ApplyPatch(JSONPatch, doc, []byte(c.patch))
		if got := ErrorCode(err); got != c.code {
			t.Errorf("%s: code %q, want %q (%v)", c.patch, got, c.code, err)
		}
	}
	big := []byte(`{"s": "` + strings.Repeat("x", 64<<10) + `"}`)
	ops := "[" + strings.Repeat(`{"op": "test", "path": "/s", "value": "x"},`, 199) + `{"op": "test", "path": "/s", "value": "x"}]`
	if _, err := ApplyPatch(JSONPatch, big, []byte(ops)); ErrorCode(err) != CodeTooLarge {
		t.Errorf("200 operations on 64 KiB: %v", err)
	}
	// Copies that double the document: refused by the work bound or the
	// copy bound before they cost much, never a deep document.
	grow := "[" + strings.Repeat(`{"op": "copy", "from": "/s", "path": "/s/a"},`, 60) + `{"op": "test", "path": "/s", "value": 1}]`
	if _, err := ApplyPatch(JSONPatch, []byte(`{"s": {}}`), []byte(grow)); err == nil {
		t.Errorf("60 nesting copies applied")
	}
}
