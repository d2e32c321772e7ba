// SPDX-License-Identifier: Apache-2.0

package httpapi

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

// FuzzFromAccept checks that content negotiation never panics, answers
// json or xml exactly when it finds a format, treats a blank header as
// JSON, and is not swayed by types it does not serve or by a type the
// client refuses (q=0).
func FuzzFromAccept(f *testing.F) {
	f.Fuzz(func(t *testing.T, accept string) {
		format, ok := fromAccept(accept)
		if ok != (format == "json" || format == "xml") || (!ok && format != "") {
			t.Fatalf("fromAccept(%q) = %q, %v", accept, format, ok)
		}
		if strings.TrimSpace(accept) == "" {
			if format != "json" {
				t.Fatalf("fromAccept(%q) = %q, %v; want json for a blank header", accept, format, ok)
			}
			return
		}
		for _, other := range []string{
			accept + ", application/json;q=0",
			accept + ", application/xml;q=0",
			"image/png, " + accept,
			accept + ", text/html;q=1",
		} {
			if f2, ok2 := fromAccept(other); f2 != format || ok2 != ok {
				t.Fatalf("fromAccept(%q) = %q, %v but fromAccept(%q) = %q, %v", accept, format, ok, other, f2, ok2)
			}
		}
	})
}

// FuzzMatchETag checks If-Match handling: no panic; a header matches a
// version only when one of its comma-separated tags is "*" or the
// version's strong ETag; the ETag the server sends always matches its own
// version and no other; and precondition applies matchETag to the
// request's If-Match, with no check at all when there is none.
func FuzzMatchETag(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string, version int64) {
		got := matchETag(header, version)
		want := false
		for _, tag := range strings.Split(header, ",") {
			if tag = strings.TrimSpace(tag); tag == "*" || tag == etag(version) {
				want = true
			}
		}
		if got != want {
			t.Fatalf("matchETag(%q, %d) = %v, want %v", header, version, got, want)
		}
		if !matchETag(etag(version), version) {
			t.Fatalf("matchETag(%q, %d) = false", etag(version), version)
		}
		if version < 1<<62 && matchETag(etag(version), version+1) {
			t.Fatalf("matchETag(%q, %d) = true", etag(version), version+1)
		}
		if matchETag("W/"+etag(version), version) {
			t.Fatalf("the weak tag W/%s matched version %d", etag(version), version)
		}
		r := httptest.NewRequest("PUT", "/v1/users/me", nil)
		r.Header.Set("If-Match", header)
		pre := precondition(r)
		switch {
		case r.Header.Get("If-Match") == "":
			if pre != nil {
				t.Fatalf("precondition without If-Match is not nil")
			}
		case pre == nil:
			t.Fatalf("precondition(If-Match: %q) is nil", header)
		case pre(version) != matchETag(r.Header.Get("If-Match"), version):
			t.Fatalf("precondition(If-Match: %q)(%d) = %v, matchETag says %v", header, version, pre(version), !pre(version))
		}
	})
}

// FuzzXMLUserInput follows an application/xml user body through the
// server's decoders: xmlToJSON shaped after *roster.UserInput, then, as
// for a create or replace, roster.DecodeStrict, and, as for a PATCH, the
// result applied as a merge patch to a user's API form. Nothing may panic,
// the JSON made from XML must be valid, and every refusal must be a
// *roster.Error whose status is 4xx.
func FuzzXMLUserInput(f *testing.F) {
	doc := []byte(`{"id":"usr_01JD3M5B8Q6T9V2W4X7Y0Z1A2B","organization_id":"org_01JD3M5B8Q6T9V2W4X7Y0Z1A2C",` +
		`"username":"ann@example.com","email":"ann@example.com","email_verified":false,"first_name":"Ann",` +
		`"last_name":"Smith","display_name":"Ann Smith","status":"enabled","availability":"available",` +
		`"preferences":{"language":"en"},"notifications":{},"settings":{"theme":"dark"},"tags":[],` +
		`"roles":["member"],"memberships":null,"mfa_enabled":false,"created_at":"2026-01-02T15:04:05Z",` +
		`"updated_at":"2026-01-02T15:04:05Z","version":1}`)
	typ := reflect.TypeOf(&roster.UserInput{}) // as decode and decodePatch pass it
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := xmlToJSON(body, typ)
		if err != nil {
			want4xx(t, "xmlToJSON", err)
			return
		}
		if !json.Valid(out) {
			t.Fatalf("xmlToJSON(%q) = %q, not valid JSON", body, out)
		}
		var in roster.UserInput
		if err := roster.DecodeStrict(out, &in); err != nil {
			want4xx(t, "DecodeStrict", err)
		}
		patched, err := roster.ApplyPatch(roster.MergePatch, doc, out)
		if err != nil {
			want4xx(t, "ApplyPatch", err)
			return
		}
		if err := roster.DecodeStrict(patched, &roster.UserInput{}); err != nil {
			want4xx(t, "DecodeStrict of the patched user", err)
		}
	})
}

// want4xx fails the test unless err is a *roster.Error whose code the
// server answers with a 4xx status.
func want4xx(t *testing.T, what string, err error) {
	t.Helper()
	var e *roster.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %T %v is not a *roster.Error", what, err, err)
	}
	if s := statusFor(e.Code); s < 400 || s > 499 {
		t.Fatalf("%s: error code %q (%v) answers %d, want 4xx", what, e.Code, err, s)
	}
}
