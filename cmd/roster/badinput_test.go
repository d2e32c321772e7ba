// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// Black-box tests of hostile and malformed input: every refusal is a
// specific 4xx problem document, never a 500, a hang or a partial write,
// and nothing that is accepted can later fail to be read back.

// nested returns a JSON value nested depth levels deep: objects whose only
// member is "a", around leaf.
func nested(depth int, leaf string) string {
	return strings.Repeat(`{"a":`, depth) + leaf + strings.Repeat(`}`, depth)
}

// wantField fails unless the problem names location in its errors list.
func wantField(t *testing.T, p map[string]any, location string) {
	t.Helper()
	if !slices.Contains(fieldErrors(p), location) {
		t.Fatalf("the problem does not name %s: %v", location, p)
	}
}

// problemMentions fails unless the problem's detail or one of its error
// messages contains every one of words.
func problemMentions(t *testing.T, p map[string]any, words ...string) {
	t.Helper()
	text, _ := p["detail"].(string)
	list, _ := p["errors"].([]any)
	for _, e := range list {
		m, _ := e.(map[string]any)
		msg, _ := m["message"].(string)
		text += " | " + msg
	}
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Fatalf("the problem does not say %q: %s", w, text)
		}
	}
}

// TestSettingsNumbersBeyondFloat64 refuses a settings number that no
// float64 holds (it was accepted, and every later write of the user was a
// 500), and checks that numbers that are accepted read back and let the
// user be changed and deleted.
func TestSettingsNumbersBeyondFloat64(t *testing.T) {
	s := startServer(t)
	for _, n := range []string{"1e400", "-1e400", "1E+309", "123e999999999"} {
		body := `{"first_name": "Big", "email": "big@example.com", "settings": {"n": ` + n + `}}`
		p := s.do("POST", "/v1/users", body).problem(422)
		wantField(t, p, "body.settings.n")
	}
	// Deeper, and through both patch formats.
	id := s.createUser(map[string]any{"settings": map[string]any{"keep": 1}})["id"].(string)
	p := s.do("PATCH", "/v1/users/"+id, `{"settings": {"deep": {"list": [1, 2, 1e400]}}}`).problem(422)
	wantField(t, p, "body.settings.deep.list[2]")
	p = s.do("PATCH", "/v1/users/"+id, `[{"op": "add", "path": "/settings/n", "value": 1e400}]`,
		"Content-Type", "application/json-patch+json").problem(422)
	wantField(t, p, "body[0].value")
	s.do("PUT", "/v1/users/"+id, `{"first_name": "Big", "settings": {"n": 1e400}}`).problem(422)

	// What is accepted reads back and can be changed and deleted.
	edge := `{"max": 1.7976931348623157e308, "tiny": 1e-400, "neg": -4.9e-324, "big": 123456789012345678901234567890, "zero": -0}`
	id = s.createUser(map[string]any{"email": "edge@example.com", "settings": json.RawMessage(edge)})["id"].(string)
	s.do("GET", "/v1/users/"+id, nil).want(200)
	s.do("PATCH", "/v1/users/"+id, `{"last_name": "Edge"}`).want(200)
	s.do("PUT", "/v1/users/"+id, map[string]any{"first_name": "Edge", "settings": json.RawMessage(edge)}).want(200)
	s.do("GET", "/v1/events?limit=200", nil).want(200)
	s.do("GET", "/v1/audit-events", nil).want(200)
	s.do("DELETE", "/v1/users/"+id, nil).want(204)
	s.do("GET", "/v1/events?limit=200", nil).want(200)
	s.do("GET", "/v1/events?limit=200", nil, "Accept", "application/xml").want(200)
}

// TestStoredValuesStayWritable puts into the store what input no longer
// accepts (a number beyond float64; on the embedded store also control
// characters) as data written before might hold, and checks that the user
// can still be read, in JSON and XML, and be replaced, patched and
// deleted: such values made every later write a 500.
func TestStoredValuesStayWritable(t *testing.T) {
	s := startServer(t)
	id := s.createUser(nil)["id"].(string)
	err := s.Main.store.Update(context.Background(), func(tx roster.Tx) error {
		u, err := tx.FindUser(context.Background(), id)
		if err != nil {
			return err
		}
		u.Settings = json.RawMessage(`{"n": 1e400, "m": -1E+999}`)
		if !onPostgres() { // PostgreSQL's jsonb refuses \u0000 itself
			u.Settings = json.RawMessage(`{"n": 1e400, "m": -1E+999, "s": "a\u0000b"}`)
			u.LastName = "Nul\x00l"
		}
		u.Version++
		return tx.UpdateUser(u)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.do("GET", "/v1/users/"+id, nil).want(200)
	s.do("GET", "/v1/users/"+id, nil, "Accept", "application/xml").want(200)
	s.do("GET", "/v1/users", nil, "Accept", "application/xml").want(200)
	// A patch that keeps the bad value is refused, naming it; one that
	// removes it works.
	p := s.do("PATCH", "/v1/users/"+id, `{"first_name": "Kept"}`).problem(422)
	wantField(t, p, "body.settings.n")
	wantField(t, p, "body.settings.m")
	s.do("PATCH", "/v1/users/"+id, `{"settings": {"n": null, "m": null, "s": null}, "last_name": "Fixed"}`).want(200)
	s.do("GET", "/v1/events?limit=200", nil).want(200)

	// PUT and DELETE of a user holding them work too.
	id = s.createUser(map[string]any{"email": "second@example.com"})["id"].(string)
	err = s.Main.store.Update(context.Background(), func(tx roster.Tx) error {
		u, err := tx.FindUser(context.Background(), id)
		if err != nil {
			return err
		}
		u.Settings = json.RawMessage(`{"n": 1e400}`)
		u.Version++
		return tx.UpdateUser(u)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.do("PUT", "/v1/users/"+id, map[string]any{"first_name": "Replaced"}).want(200)
	s.do("PUT", "/v1/users/"+id, map[string]any{"first_name": "Replaced", "settings": map[string]any{"n": 1}}).want(200)
	id = s.createUser(map[string]any{"email": "third@example.com"})["id"].(string)
	s.Main.store.Update(context.Background(), func(tx roster.Tx) error {
		u, _ := tx.FindUser(context.Background(), id)
		u.Settings = json.RawMessage(`{"n": 1e400}`)
		u.Version++
		return tx.UpdateUser(u)
	})
	s.do("DELETE", "/v1/users/"+id, nil).want(204)
	s.do("GET", "/v1/events?limit=200", nil).want(200)
	s.do("GET", "/v1/audit-events", nil).want(200)
}

// TestNestingDepthBound refuses JSON nested deeper than the documented
// limit on every kind of body, quickly, and accepts the limit itself: a
// settings schema nested 9,998 levels deep used to be accepted and then
// broke the event feed and the audit log; 9,999 and 10,000 were a 500.
func TestNestingDepthBound(t *testing.T) {
	s := startServer(t)
	org := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	for _, depth := range []int{65, 1000, 9998, 9999, 10000, 100000} {
		p := s.do("PUT", "/v1/orgs/"+org+"/settings-schema", nested(depth, `{"type": "object"}`)).problem(400)
		problemMentions(t, p, "64 levels")
	}
	// At the limit: accepted, and the feed and audit log still answer.
	s.do("PUT", "/v1/orgs/"+org+"/settings-schema", nested(63, `{}`)).want(200)
	s.do("GET", "/v1/events?limit=200", nil).want(200)
	s.do("GET", "/v1/audit-events", nil).want(200)
	s.do("GET", "/v1/events?limit=200", nil, "Accept", "application/xml").want(200)

	// Every JSON body, not only schemas.
	users := s.do("GET", "/v1/users?limit=200", nil).want(200).Body
	id := s.createUser(nil)["id"].(string)
	deep := nested(65, `1`)
	for _, c := range []struct{ method, path, body, ct string }{
		{"POST", "/v1/users", `{"first_name": "D", "email": "d@example.com", "settings": ` + deep + `}`, "application/json"},
		{"PUT", "/v1/users/" + id, `{"first_name": "D", "settings": ` + deep + `}`, "application/json"},
		{"PATCH", "/v1/users/" + id, `{"settings": ` + deep + `}`, "application/merge-patch+json"},
		{"PATCH", "/v1/users/" + id, `[{"op": "add", "path": "/settings/x", "value": ` + deep + `}]`, "application/json-patch+json"},
		{"POST", "/v1/orgs", `{"name": "D", "x": ` + deep + `}`, "application/json"},
		{"POST", "/v1/webhooks", `{"url": "https://example.com", "events": ["user.*"], "headers": ` + deep + `}`, "application/json"},
		{"POST", "/v1/users/" + id + "/tags", `{"tags": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "application/json"},
		{"POST", "/v1/users", "<user>" + strings.Repeat("<a>", 70) + strings.Repeat("</a>", 70) + "</user>", "application/xml"},
	} {
		p := s.do(c.method, c.path, c.body, "Content-Type", c.ct).problem(400)
		problemMentions(t, p, "64 levels")
	}
	// JSON Patch copies cannot build a document deeper than the limit.
	s.do("PATCH", "/v1/users/"+id, `{"settings": `+nested(40, `1`)+`}`).want(200)
	p := s.do("PATCH", "/v1/users/"+id, `[{"op": "copy", "from": "/settings", "path": "/settings`+strings.Repeat("/a", 39)+`/a"}]`,
		"Content-Type", "application/json-patch+json")
	if p.Status/100 != 4 {
		t.Fatalf("a copy that nests 80 levels deep: status %d: %s", p.Status, p.Body)
	}
	checkProblem(t, p)
	_ = users

	// The OpenAPI document says the limit.
	doc := string(s.do("GET", "/openapi.json", nil).want(200).Body)
	if !strings.Contains(doc, "64 levels") {
		t.Fatalf("the OpenAPI document does not state the nesting limit")
	}
}

// TestDeepPatchRefusedFast sends a merge patch of objects nested 10,000
// deep (60 KB), which took seconds of quadratic work and held up every
// other write: it is refused at once.
func TestDeepPatchRefusedFast(t *testing.T) {
	s := startServer(t)
	id := s.createUser(nil)["id"].(string)
	for _, c := range []struct{ ct, body string }{
		{"application/merge-patch+json", `{"settings": ` + nested(9990, `1`) + `}`},
		{"application/json-patch+json", `[{"op": "add", "path": "/settings/x", "value": ` + nested(10000, `1`) + `}]`},
		{"application/json-patch+json", strings.Repeat("[", 500000) + strings.Repeat("]", 500000)},
		{"application/xml", "<user><settings>" + strings.Repeat("<a>", 20000) + strings.Repeat("</a>", 20000) + "</settings></user>"},
	} {
		start := time.Now()
		res := s.do("PATCH", "/v1/users/"+id, c.body, "Content-Type", c.ct)
		took := time.Since(start)
		res.problem(400)
		t.Logf("%s, %d bytes: refused in %v", c.ct, len(c.body), took)
		if took > 2*time.Second {
			t.Fatalf("refusing a deep %s took %v", c.ct, took)
		}
	}
}

// TestJSONPatchArrayIndexes refuses array indexes with leading zeros
// (RFC 6901: "01" is not an index), as a patch that cannot apply, and
// changes nothing.
func TestJSONPatchArrayIndexes(t *testing.T) {
	s := startServer(t)
	u := s.createUser(map[string]any{"tags": []map[string]any{{"name": "a"}, {"name": "b"}, {"name": "c"}}})
	id := u["id"].(string)
	jp := func(patch string) *response {
		return s.do("PATCH", "/v1/users/"+id, patch, "Content-Type", "application/json-patch+json")
	}
	for _, patch := range []string{
		`[{"op": "remove", "path": "/tags/01"}]`,
		`[{"op": "remove", "path": "/tags/00"}]`,
		`[{"op": "replace", "path": "/tags/01/name", "value": "x"}]`,
		`[{"op": "add", "path": "/tags/01", "value": {"name": "x"}}]`,
		`[{"op": "move", "from": "/tags/01", "path": "/tags/0"}]`,
		`[{"op": "copy", "from": "/tags/01", "path": "/tags/-"}]`,
		`[{"op": "test", "path": "/tags/01/name", "value": "b"}]`,
		`[{"op": "remove", "path": "/tags/+1"}]`,
		`[{"op": "remove", "path": "/tags/1e0"}]`,
	} {
		p := jp(patch).problem(409)
		problemMentions(t, p, "cannot be applied")
	}
	got := s.do("GET", "/v1/users/"+id, nil).want(200).obj()
	if got["version"] != u["version"] || len(got["tags"].([]any)) != 3 {
		t.Fatalf("a refused patch changed the user: %v", got)
	}
	// "0" and "1" still work, and an object member named "01" is a name.
	jp(`[{"op": "remove", "path": "/tags/1"}]`).want(200)
	jp(`[{"op": "add", "path": "/settings/01", "value": 1}, {"op": "remove", "path": "/settings/01"}]`).want(200)
}

// TestJSONPatchWorkBound refuses a JSON Patch whose operations times the
// document's size is too much work, quickly; small patches still apply.
func TestJSONPatchWorkBound(t *testing.T) {
	s := startServer(t)
	big := map[string]any{}
	for i := range 120 {
		big[fmt.Sprintf("k%03d", i)] = strings.Repeat("x", 500)
	}
	id := s.createUser(map[string]any{"settings": big})["id"].(string)
	ops := make([]string, 1000)
	for i := range ops {
		ops[i] = `{"op": "test", "path": "/first_name", "value": "Test"}`
	}
	start := time.Now()
	p := s.do("PATCH", "/v1/users/"+id, "["+strings.Join(ops, ",")+"]", "Content-Type", "application/json-patch+json").problem(413)
	t.Logf("1000 operations on a %d-byte user: refused in %v", len(mustJSON(big)), time.Since(start))
	problemMentions(t, p, "operations")
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("refusing took %v", took)
	}
	// 100 operations on a small user are fine.
	small := s.createUser(map[string]any{"email": "small@example.com"})["id"].(string)
	s.do("PATCH", "/v1/users/"+small, "["+strings.Join(ops[:100], ",")+"]", "Content-Type", "application/json-patch+json").want(200)
}

// TestEmptyEnumValues refuses "" where a field takes one of a list of
// values, naming the field and the values it takes.
func TestEmptyEnumValues(t *testing.T) {
	s := startServer(t)
	id := s.createUser(nil)["id"].(string)
	for _, c := range []struct {
		method, path string
		body         any
		field        string
		allowed      []string
	}{
		{"POST", "/v1/users", map[string]any{"first_name": "E", "email": "e@example.com", "availability": ""}, "body.availability", []string{"available", "unavailable"}},
		{"POST", "/v1/users", map[string]any{"first_name": "E", "email": "e@example.com", "status": ""}, "body.status", []string{"enabled", "disabled"}},
		{"PATCH", "/v1/users/" + id, map[string]any{"availability": ""}, "body.availability", []string{"available", "unavailable"}},
		{"PATCH", "/v1/users/" + id, map[string]any{"status": ""}, "body.status", []string{"enabled", "disabled"}},
		{"POST", "/v1/orgs", map[string]any{"name": "E", "status": ""}, "body.status", []string{"enabled", "disabled"}},
		{"POST", "/v1/webhooks", map[string]any{"url": "https://example.com/h", "events": []string{"user.*"}, "status": ""}, "body.status", []string{"enabled", "disabled"}},
		{"POST", "/v1/webhooks", map[string]any{"url": "https://example.com/h", "events": []string{"user.*"}, "method": ""}, "body.method", []string{"POST", "PUT", "PATCH", "DELETE"}},
	} {
		p := s.do(c.method, c.path, c.body).problem(422)
		wantField(t, p, c.field)
		problemMentions(t, p, c.allowed...)
	}
}

// TestControlCharacters refuses NUL and the other C0 control characters
// in text fields (a NUL in a name made every XML list holding it a 406),
// and XML answers never fail.
func TestControlCharacters(t *testing.T) {
	s := startServer(t)
	id := s.createUser(nil)["id"].(string)
	for _, c := range []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/users", `{"first_name": "A\u0000B", "email": "nul@example.com"}`, "body.first_name"},
		{"POST", "/v1/users", `{"first_name": "A", "last_name": "B\u001bC", "email": "esc@example.com"}`, "body.last_name"},
		{"POST", "/v1/users", `{"first_name": "A\nB", "email": "nl@example.com"}`, "body.first_name"},
		{"PATCH", "/v1/users/" + id, `{"display_name": "\u0007"}`, "body.display_name"},
		{"PATCH", "/v1/users/" + id, `{"settings": {"note": "a\u0000b"}}`, "body.settings.note"},
		{"PATCH", "/v1/users/" + id, `{"settings": {"a\u0001": 1}}`, "body.settings"},
		{"POST", "/v1/users/" + id + "/tags", `{"tags": [{"name": "v\u0000ip"}]}`, "body.tags[0].name"},
		{"POST", "/v1/orgs", `{"name": "Org\u0000"}`, "body.name"},
		{"POST", "/v1/webhooks", `{"url": "https://example.com/h", "name": "h\u0002", "events": ["user.*"]}`, "body.name"},
		{"POST", "/v1/api-keys", `{"name": "k\u0000", "scopes": ["users:read"]}`, "body.name"},
	} {
		p := s.do(c.method, c.path, c.body).problem(422)
		wantField(t, p, c.field)
		problemMentions(t, p, "control character")
	}
	// Tabs and line breaks stay allowed in free text.
	s.do("PATCH", "/v1/users/"+id, `{"settings": {"note": "line one\nline two\tend"}}`).want(200)
	for _, path := range []string{"/v1/users", "/v1/orgs", "/v1/events?limit=200", "/v1/users/" + id} {
		res := s.do("GET", path, nil, "Accept", "application/xml").want(200)
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/xml") {
			t.Fatalf("GET %s as XML: %s", path, res.Header.Get("Content-Type"))
		}
	}
}

// TestControlCharactersInPathQueryAndForm refuses NUL and other control
// characters in ids, query parameters and token forms before they reach
// the store (PostgreSQL refuses a NUL in text: it was a 500 there).
func TestControlCharactersInPathQueryAndForm(t *testing.T) {
	s := startServer(t)
	org := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/users/username:a%00b"},
		{"GET", "/v1/users/external:" + org + ":x%00y"},
		{"DELETE", "/v1/users/username:a%00b"},
		{"DELETE", "/v1/users/username:a%00b/lockout"},
		{"GET", "/v1/orgs/org_%01"},
		{"GET", "/v1/users/username:%c0%af"},
	} {
		s.do(c.method, c.path, nil).problem(404)
	}
	for _, q := range []string{"q=a%00b", "tag=%00", "q=%1b%5b31m", "cursor=%00", "q=%e0%80", "feature=%ff"} {
		p := s.do("GET", "/v1/users?"+q, nil).problem(400)
		wantField(t, p, "query."+strings.Split(q, "=")[0])
	}
	s.do("GET", "/v1/audit-events?target=usr_%00", nil).problem(400)
	res := s.doAs("", "POST", "/v1/auth/token", "grant_type=password&username=owner%00@roster.local&password=x", "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != 400 || !strings.Contains(string(res.Body), "invalid_request") {
		t.Fatalf("a token request with a NUL: %d %s", res.Status, res.Body)
	}
}

// TestBodyReadTimeoutFlag checks --body-read-timeout and its variable.
func TestBodyReadTimeoutFlag(t *testing.T) {
	m := NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags(nil, func(string) string { return "" }); err != nil || m.Config.BodyReadTimeout != 15*time.Second {
		t.Fatalf("default: %v, %v", m.Config.BodyReadTimeout, err)
	}
	m = NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags(nil, func(k string) string { return map[string]string{"ROSTER_BODY_READ_TIMEOUT": "4s"}[k] }); err != nil || m.Config.BodyReadTimeout != 4*time.Second {
		t.Fatalf("ROSTER_BODY_READ_TIMEOUT=4s: %v, %v", m.Config.BodyReadTimeout, err)
	}
	m = NewMain(io.Discard, io.Discard)
	if err := m.ParseFlags([]string{"--body-read-timeout", "2s"}, func(string) string { return "" }); err != nil || m.Config.BodyReadTimeout != 2*time.Second {
		t.Fatalf("--body-read-timeout 2s: %v, %v", m.Config.BodyReadTimeout, err)
	}
	if err := NewMain(io.Discard, io.Discard).ParseFlags([]string{"--body-read-timeout", "0s"}, func(string) string { return "" }); err == nil {
		t.Fatal("--body-read-timeout 0s accepted")
	}
}

// TestWideBodiesAnswerBriefly sends bodies with 100,000 bad array
// entries (300 KB): each is refused with a problem that lists the first
// 100 errors and says how many there are, not a 10 MB answer.
func TestWideBodiesAnswerBriefly(t *testing.T) {
	s := startServer(t)
	id := s.createUser(nil)["id"].(string)
	for _, body := range []string{
		`{"first_name": "W", "tags": [` + strings.Repeat(`{},`, 100000) + `{}]}`,
		`{"first_name": "W", "roles": [` + strings.Repeat(`"x",`, 100000) + `"x"]}`,
		`{"first_name": "W", "notifications": {"email_addresses": [` + strings.Repeat(`"x",`, 100000) + `"x"]}}`,
	} {
		start := time.Now()
		res := s.do("PUT", "/v1/users/"+id, body)
		p := res.problem(422)
		t.Logf("%d-byte body: %d-byte answer in %v", len(body), len(res.Body), time.Since(start))
		if n := len(fieldErrors(p)); n != 100 || len(res.Body) > 64<<10 {
			t.Fatalf("%d errors listed in a %d-byte answer", n, len(res.Body))
		}
		problemMentions(t, p, "invalid fields; the first 100 are listed")
	}
}

// TestSettingsSchemaSizeBound refuses a settings schema over 64 KiB:
// compiling one is not linear (a "type" array of 100,000 entries took
// over 2 s of a core), while a large real schema still fits.
func TestSettingsSchemaSizeBound(t *testing.T) {
	s := startServer(t)
	org := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	start := time.Now()
	p := s.do("PUT", "/v1/orgs/"+org+"/settings-schema", `{"type": [`+strings.Repeat(`"nope",`, 100000)+`"nope"]}`).problem(422)
	t.Logf("refused in %v", time.Since(start))
	problemMentions(t, p, "64 KiB")
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("refusing took %v", took)
	}
	props := make([]string, 680)
	for i := range props {
		props[i] = fmt.Sprintf(`"setting_%03d": {"type": "string", "maxLength": 64, "description": "a setting of the product"}`, i)
	}
	schema := `{"type": "object", "additionalProperties": false, "properties": {` + strings.Join(props, ",") + `}}`
	if len(schema) > 64<<10 || len(schema) < 60<<10 {
		t.Fatalf("the large schema is %d bytes", len(schema))
	}
	s.do("PUT", "/v1/orgs/"+org+"/settings-schema", schema).want(200)
}

// rawExchange sends raw bytes on a new connection and reads one response.
func rawExchange(t *testing.T, s *testServer, request string, timeout time.Duration) (*http.Response, []byte, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.SetDeadline(start.Add(timeout))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer after %v: %v", time.Since(start), err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body, time.Since(start)
}

// wantRawProblem checks that a raw answer is a problem+json with status.
func wantRawProblem(t *testing.T, res *http.Response, body []byte, status int) map[string]any {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, body)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil || p["status"] != float64(status) || p["detail"] == "" || p["title"] == "" || p["type"] == "" {
		t.Fatalf("not a complete problem document (%v): %s", err, body)
	}
	return p
}

// TestTransportErrorsAreProblems checks the answers Go's HTTP server
// writes before any handler runs (a bad %-escape in the path, oversized
// headers, a malformed request) are problem documents too, and that a
// body that stops half-way is answered promptly.
func TestTransportErrorsAreProblems(t *testing.T) {
	s := startServer(t, func(c *Config) { c.BodyReadTimeout = time.Second })
	auth := "Authorization: Bearer " + s.Key + "\r\n"
	for _, path := range []string{"/v1/users/%zz", "/v1/users/%", "/v1/orgs/%e0%", "/v1/users?q=%zz"} {
		res, body, _ := rawExchange(t, s, "GET "+path+" HTTP/1.1\r\nHost: roster\r\n"+auth+"\r\n", 5*time.Second)
		wantRawProblem(t, res, body, 400)
	}
	res, body, _ := rawExchange(t, s, "GET /v1/users HTTP/1.1\r\n"+auth+"\r\n", 5*time.Second) // no Host
	wantRawProblem(t, res, body, 400)
	for _, c := range []struct {
		head   string
		status int
	}{
		{"POST /v1/users HTTP/1.1\r\nHost: roster\r\nContent-Length: abc\r\n", 400},
		{"POST /v1/users HTTP/1.1\r\nHost: roster\r\nContent-Length: 5\r\nContent-Length: 6\r\n", 400},
		{"POST /v1/users HTTP/1.1\r\nHost: roster\r\nTransfer-Encoding: gzip\r\n", 501},
		{"GET /v1/users HTTP/1.1\r\nHost: roster\r\nBad Header: x\r\n", 400},
		{"GET /v1/users HTTP/1.1\r\nHost: a\r\nHost: b\r\n", 400},
	} {
		res, body, _ := rawExchange(t, s, c.head+auth+"\r\n", 5*time.Second)
		wantRawProblem(t, res, body, c.status)
	}
	big := "X-Big: " + strings.Repeat("a", 100<<10) + "\r\n"
	res, body, _ = rawExchange(t, s, "GET /v1/users HTTP/1.1\r\nHost: roster\r\n"+auth+big+"\r\n", 5*time.Second)
	wantRawProblem(t, res, body, 431)

	// A body that stops half-way: answered after the body timeout, not 60 s.
	req := "POST /v1/users HTTP/1.1\r\nHost: roster\r\n" + auth + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n" + `{"first_name": "Slo`
	res, body, took := rawExchange(t, s, req, 8*time.Second)
	p := wantRawProblem(t, res, body, 408)
	t.Logf("a stalled body answered %v in %v", p["status"], took)
	s.do("GET", "/v1/users/username:slo@example.com", nil).want(404)
}
