// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/testdata"
)

// patchRecord is one case of the public JSON Patch test suite
// (github.com/json-patch/json-patch-tests). Raw messages keep the values
// exactly as the suite writes them.
type patchRecord struct {
	Comment  string          `json:"comment"`
	Doc      json.RawMessage `json:"doc"`
	Patch    json.RawMessage `json:"patch"`
	Expected json.RawMessage `json:"expected"`
	Error    json.RawMessage `json:"error"`
	Disabled bool            `json:"disabled"`
}

// suiteCounts tallies the cases of one suite file for the log.
type suiteCounts struct {
	applicable, passed, notApplicable, disabled int
}

func (c suiteCounts) String() string {
	return fmt.Sprintf("applicable %d, passed %d, not applicable %d (of which disabled %d)",
		c.applicable, c.passed, c.notApplicable+c.disabled, c.disabled)
}

// TestJSONPatchSuite runs the public RFC 6902 test suite through PATCH
// /v1/users/{id} with Content-Type application/json-patch+json, applied to
// the user's settings: every path and from of the suite's patch is
// prefixed with /settings. A case applies when its doc is an object (a
// user's settings must be one) and, for a case with an expected result,
// when that result is an object too. A case that expects an error must be
// answered with a 4xx problem document and leave the user unchanged.
func TestJSONPatchSuite(t *testing.T) {
	dir := testdata.Dir(t, "json-patch-tests")
	for _, file := range []string{"tests.json", "spec_tests.json"} {
		t.Run(strings.TrimSuffix(file, ".json"), func(t *testing.T) {
			var records []patchRecord
			readJSONFile(t, filepath.Join(dir, file), &records)
			s := startServer(t)
			var n suiteCounts
			for i, rec := range records {
				name := caseName(i, rec.Comment)
				switch {
				case rec.Disabled:
					n.disabled++
					t.Logf("%s: not applicable: disabled in the suite", name)
					continue
				case jsonKindOf(rec.Doc) != '{':
					n.notApplicable++
					t.Logf("%s: not applicable: doc is not an object (settings must be one)", name)
					continue
				case rec.Expected != nil && jsonKindOf(rec.Expected) != '{':
					n.notApplicable++
					t.Logf("%s: not applicable: expected is not an object (settings must be one)", name)
					continue
				}
				n.applicable++
				if t.Run(name, func(t *testing.T) { runJSONPatchCase(t, s, file, i, rec) }) {
					n.passed++
				}
			}
			t.Logf("%s: %v", file, n)
			if n.passed != n.applicable {
				t.Errorf("%s: %d of %d applicable cases failed", file, n.applicable-n.passed, n.applicable)
			}
		})
	}
}

// runJSONPatchCase runs one record of the JSON Patch suite against a new
// user whose settings are the record's doc.
func runJSONPatchCase(t *testing.T, parent *testServer, file string, i int, rec patchRecord) {
	s := parent.in(t)
	id := s.createUserWithSettings(fmt.Sprintf("jsonpatch-%s-%d@example.com", strings.TrimSuffix(file, ".json"), i), rec.Doc)
	before := s.do("GET", "/v1/users/"+id, nil).want(http.StatusOK)
	tag := before.Header.Get("ETag")
	if tag == "" {
		t.Fatalf("GET /v1/users/%s has no ETag", id)
	}
	if got := settingsOf(t, before); !jsonSame(got, rec.Doc) {
		t.Fatalf("settings after create = %s, want the doc %s", got, rec.Doc)
	}
	patch := prefixPatch(t, rec.Patch, "/settings")
	res := s.do("PATCH", "/v1/users/"+id, patch,
		"Content-Type", "application/json-patch+json", "If-Match", tag)
	switch {
	case rec.Expected != nil:
		if res.Status != http.StatusOK {
			t.Fatalf("PATCH %s: status %d, want 200; body: %s", patch, res.Status, res.Body)
		}
		if got := settingsOf(t, res); !jsonSame(got, rec.Expected) {
			t.Errorf("PATCH %s: settings in the answer = %s, want %s", patch, got, rec.Expected)
		}
		after := s.do("GET", "/v1/users/"+id, nil).want(http.StatusOK)
		if got := settingsOf(t, after); !jsonSame(got, rec.Expected) {
			t.Errorf("PATCH %s: settings read back = %s, want %s", patch, got, rec.Expected)
		}
		// A write that changes nothing changes nothing; any other write
		// makes exactly one new version.
		want := tag
		if !jsonSame(rec.Doc, rec.Expected) {
			want = nextETag(t, tag)
		}
		if got := after.Header.Get("ETag"); got != want {
			t.Errorf("PATCH %s: ETag %s -> %s, want %s", patch, tag, got, want)
		}
		if got := res.Header.Get("ETag"); got != "" && got != want {
			t.Errorf("PATCH %s: the answer's ETag is %s, want %s", patch, got, want)
		}
	case rec.Error != nil:
		if res.Status < 400 || res.Status > 499 {
			t.Fatalf("PATCH %s: status %d, want a 4xx error (%s); body: %s", patch, res.Status, rec.Error, res.Body)
		}
		checkProblem(t, res)
		t.Logf("PATCH %s: %d as expected (%s)", patch, res.Status, rec.Error)
		after := s.do("GET", "/v1/users/"+id, nil).want(http.StatusOK)
		if got := after.Header.Get("ETag"); got != tag {
			t.Errorf("PATCH %s failed but the ETag changed from %s to %s", patch, tag, got)
		}
		if got := settingsOf(t, after); !jsonSame(got, rec.Doc) {
			t.Errorf("PATCH %s failed but the settings changed from %s to %s", patch, rec.Doc, got)
		}
	default:
		if res.Status >= 500 {
			t.Fatalf("PATCH %s: status %d; body: %s", patch, res.Status, res.Body)
		}
	}
}

// TestJSONPatchEmptyKey checks JSON Pointers with an empty reference
// token, such as "/settings/" (the member named "" of settings) and
// "/settings//x" (member x of that member), which RFC 6901 section 4
// allows and which test 57 of tests.json exercises. Each case runs like a
// suite record, with paths relative to settings.
func TestJSONPatchEmptyKey(t *testing.T) {
	s := startServer(t)
	for i, c := range []struct{ name, doc, patch, expected, error string }{
		{name: "test", doc: `{"":1,"a":2}`,
			patch: `[{"op":"test","path":"/","value":1}]`, expected: `{"":1,"a":2}`},
		{name: "test_fails", doc: `{"":1,"a":2}`,
			patch: `[{"op":"test","path":"/","value":{"":1,"a":2}}]`, error: "the member is 1, not the object"},
		{name: "copy_from", doc: `{"":5,"b":1}`,
			patch: `[{"op":"copy","from":"/","path":"/c"}]`, expected: `{"":5,"b":1,"c":5}`},
		{name: "move_from", doc: `{"":5,"b":1}`,
			patch: `[{"op":"move","from":"/","path":"/m"}]`, expected: `{"b":1,"m":5}`},
		{name: "replace_nested", doc: `{"":{"x":1},"x":2}`,
			patch: `[{"op":"replace","path":"//x","value":9}]`, expected: `{"":{"x":9},"x":2}`},
		{name: "test_nested", doc: `{"":{"x":1},"x":2}`,
			patch: `[{"op":"test","path":"//x","value":1}]`, expected: `{"":{"x":1},"x":2}`},
		{name: "replace_missing", doc: `{"x":2}`,
			patch: `[{"op":"replace","path":"//x","value":9}]`, error: "there is no member \"\""},
	} {
		rec := patchRecord{Comment: c.name, Doc: json.RawMessage(c.doc), Patch: json.RawMessage(c.patch)}
		if c.expected != "" {
			rec.Expected = json.RawMessage(c.expected)
		} else {
			rec.Error, _ = json.Marshal(c.error)
		}
		t.Run(c.name, func(t *testing.T) { runJSONPatchCase(t, s, "emptykey", i, rec) })
	}

	// "/" names the member "" of the user document, which it does not
	// have: copying from it must fail, not copy the whole document.
	t.Run("copy_from_user_document_member", func(t *testing.T) {
		s := s.in(t)
		id := s.createUserWithSettings("emptykey-root@example.com", json.RawMessage(`{}`))
		tag := s.do("GET", "/v1/users/"+id, nil).want(http.StatusOK).Header.Get("ETag")
		patch := `[{"op":"copy","from":"/","path":"/settings/x"}]`
		res := s.do("PATCH", "/v1/users/"+id, patch, "Content-Type", "application/json-patch+json")
		if res.Status < 400 || res.Status > 499 {
			t.Fatalf("PATCH %s: status %d, want a 4xx error; body: %s", patch, res.Status, res.Body)
		}
		checkProblem(t, res)
		after := s.do("GET", "/v1/users/"+id, nil).want(http.StatusOK)
		if got := after.Header.Get("ETag"); got != tag {
			t.Errorf("PATCH %s failed but the ETag changed from %s to %s", patch, tag, got)
		}
		if got := settingsOf(t, after); !jsonSame(got, json.RawMessage(`{}`)) {
			t.Errorf("PATCH %s failed but the settings changed to %s", patch, got)
		}
	})
}

// mergeRecord is one RFC 7396 case: {doc, patch, expected, comment}.
type mergeRecord struct {
	Comment  string          `json:"comment"`
	Doc      json.RawMessage `json:"doc"`
	Patch    json.RawMessage `json:"patch"`
	Expected json.RawMessage `json:"expected"`
}

// TestMergePatchSuite applies the RFC 7396 examples as PATCH
// /v1/users/{id} with Content-Type application/merge-patch+json and body
// {"settings": patch} to a user whose settings are the case's doc. A case
// applies when doc, patch and expected are all objects: a patch that is
// not an object replaces settings whole rather than merging into them.
func TestMergePatchSuite(t *testing.T) {
	dir := testdata.Dir(t, "rfc7396")
	var records []mergeRecord
	readJSONFile(t, filepath.Join(dir, "merge-patch-tests.json"), &records)
	s := startServer(t)
	var n suiteCounts
	for i, rec := range records {
		name := caseName(i, rec.Comment)
		if jsonKindOf(rec.Doc) != '{' || jsonKindOf(rec.Patch) != '{' || jsonKindOf(rec.Expected) != '{' {
			n.notApplicable++
			t.Logf("%s: not applicable: doc, patch and expected must all be objects", name)
			continue
		}
		n.applicable++
		ok := t.Run(name, func(t *testing.T) {
			s := s.in(t)
			id := s.createUserWithSettings(fmt.Sprintf("mergepatch-%d@example.com", i), rec.Doc)
			before := s.do("GET", "/v1/users/"+id, nil).want(http.StatusOK)
			if got := settingsOf(t, before); !jsonSame(got, rec.Doc) {
				t.Fatalf("settings after create = %s, want the doc %s", got, rec.Doc)
			}
			body := []byte(`{"settings":` + string(rec.Patch) + `}`)
			res := s.do("PATCH", "/v1/users/"+id, body,
				"Content-Type", "application/merge-patch+json", "If-Match", before.Header.Get("ETag"))
			if res.Status != http.StatusOK {
				t.Fatalf("PATCH %s: status %d, want 200; body: %s", body, res.Status, res.Body)
			}
			if got := settingsOf(t, res); !jsonSame(got, rec.Expected) {
				t.Errorf("PATCH %s: settings in the answer = %s, want %s", body, got, rec.Expected)
			}
			after := s.do("GET", "/v1/users/"+id, nil).want(http.StatusOK)
			if got := settingsOf(t, after); !jsonSame(got, rec.Expected) {
				t.Errorf("PATCH %s: settings read back = %s, want %s", body, got, rec.Expected)
			}
		})
		if ok {
			n.passed++
		}
	}
	t.Logf("merge-patch-tests.json: %v", n)
	if n.passed != n.applicable {
		t.Errorf("%d of %d applicable cases failed", n.applicable-n.passed, n.applicable)
	}
}

// in returns a copy of s that reports to t, so that a subtest's failures
// stop the subtest rather than its parent.
func (s *testServer) in(t *testing.T) *testServer {
	c := *s
	c.t = t
	return &c
}

// createUserWithSettings creates a user with the given email and settings
// and returns its id.
func (s *testServer) createUserWithSettings(email string, settings json.RawMessage) string {
	s.t.Helper()
	body := map[string]any{"first_name": "Patch", "last_name": "Suite", "email": email, "settings": settings}
	id := s.do("POST", "/v1/users", body).want(http.StatusCreated).str("id")
	if id == "" {
		s.t.Fatalf("POST /v1/users answered no id")
	}
	return id
}

// settingsOf returns the settings field of a user in a response body.
func settingsOf(t *testing.T, r *response) json.RawMessage {
	t.Helper()
	var u struct {
		Settings json.RawMessage `json:"settings"`
	}
	if err := json.Unmarshal(r.Body, &u); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return u.Settings
}

// checkProblem checks that an error answer is a complete RFC 9457
// application/problem+json document whose status is the HTTP status.
func checkProblem(t *testing.T, r *response) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body: %s", ct, r.Body)
	}
	var p map[string]any
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("problem is not a JSON object: %v: %s", err, r.Body)
	}
	title, _ := p["title"].(string)
	detail, _ := p["detail"].(string)
	if p["status"] != float64(r.Status) || title == "" || detail == "" {
		t.Fatalf("incomplete problem document for status %d: %s", r.Status, r.Body)
	}
}

// prefixPatch returns the JSON Patch with prefix put before every path and
// from that is a JSON Pointer ("" or starting with "/"). Anything else —
// operations that are not objects, pointers that are not strings or lack
// the leading slash — is kept as it is, so that an invalid patch stays
// invalid in the same way.
func prefixPatch(t *testing.T, patch json.RawMessage, prefix string) []byte {
	t.Helper()
	var ops []json.RawMessage
	if err := json.Unmarshal(patch, &ops); err != nil {
		return patch
	}
	out := make([]json.RawMessage, len(ops))
	for i, op := range ops {
		out[i] = op
		var fields map[string]json.RawMessage
		if json.Unmarshal(op, &fields) != nil || fields == nil {
			continue
		}
		for _, key := range []string{"path", "from"} {
			var p string
			if v, ok := fields[key]; !ok || json.Unmarshal(v, &p) != nil {
				continue
			}
			if p != "" && !strings.HasPrefix(p, "/") {
				continue
			}
			b, err := json.Marshal(prefix + p)
			if err != nil {
				t.Fatal(err)
			}
			fields[key] = b
		}
		b, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonSame reports whether two JSON texts hold the same value.
func jsonSame(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// jsonKindOf returns the first byte of a JSON text: '{' for an object, '['
// for an array, and so on; 0 for an absent value.
func jsonKindOf(v json.RawMessage) byte {
	if v = bytes.TrimSpace(v); len(v) == 0 {
		return 0
	}
	return v[0]
}

// nextETag returns the ETag of the version after the one tag names.
func nextETag(t *testing.T, tag string) string {
	t.Helper()
	v, err := strconv.ParseInt(strings.Trim(tag, `"`), 10, 64)
	if err != nil {
		t.Fatalf("ETag %s is not a quoted version", tag)
	}
	return `"` + strconv.FormatInt(v+1, 10) + `"`
}

// caseName names a suite case by its index and comment.
func caseName(i int, comment string) string {
	name := fmt.Sprintf("%03d", i)
	if comment = strings.Join(strings.Fields(comment), "_"); comment != "" {
		if len(comment) > 60 {
			comment = comment[:60]
		}
		name += "_" + comment
	}
	return name
}

// readJSONFile decodes the JSON file at path into v.
func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
