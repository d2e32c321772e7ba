// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestUserCreateGetAndReferences(t *testing.T) {
	s := startServer(t)
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Acme", "external_id": "acme-1"}).want(201).obj()
	res := s.do("POST", "/v1/users", map[string]any{
		"organization_id": org["id"], "first_name": "  Ann ", "last_name": "Lee", "email": "Ann.Lee@Example.com",
		"external_id": "crm-42", "phone": map[string]any{"country": "NL", "number": "020 123 4567"},
		"preferences": map[string]any{"language": "en", "time_zone": "Europe/Amsterdam", "default_country": "NL", "color_mode": "dark"},
		"notifications": map[string]any{"events": map[string]any{"missed_call": map[string]any{"enabled": true, "channels": []string{"email", "app"}}},
			"email_addresses": []string{"ann@example.com"}, "sms_numbers": []string{"+16699990000"}},
		"settings": map[string]any{"caller_id_name": "Fax.Plus"},
		"tags":     []map[string]any{{"name": "vip", "color": "#FF0000"}},
	}).want(201)
	u := res.obj()
	id := u["id"].(string)
	if !strings.HasPrefix(id, "usr_") || res.Header.Get("Location") != "/v1/users/"+id || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("id %q, Location %q, ETag %q", id, res.Header.Get("Location"), res.Header.Get("ETag"))
	}
	checks := map[string]any{"first_name": "Ann", "username": "Ann.Lee@Example.com", "email": "Ann.Lee@Example.com",
		"display_name": "Ann Lee", "status": "enabled", "availability": "available", "version": float64(1), "email_verified": false, "mfa_enabled": false}
	for k, want := range checks {
		if u[k] != want {
			t.Errorf("%s = %v, want %v", k, u[k], want)
		}
	}
	if e := u["phone"].(map[string]any)["e164"]; e != "+31201234567" {
		t.Errorf("e164 = %v", e)
	}
	if roles := fmt.Sprint(u["roles"]); roles != "[member]" {
		t.Errorf("roles = %s", roles)
	}
	links := u["_links"].(map[string]any)
	for _, rel := range []string{"self", "password", "email_change", "mfa", "tags", "organization"} {
		if links[rel] == nil {
			t.Errorf("_links lacks %s", rel)
		}
	}
	for _, ref := range []string{id, "username:ann.lee@example.com", "external:" + org["id"].(string) + ":crm-42"} {
		if got := s.do("GET", "/v1/users/"+ref, nil).want(200).str("id"); got != id {
			t.Errorf("GET %s = %s", ref, got)
		}
	}
	if got := s.do("GET", "/v1/users/me", nil).want(200).str("email"); got != "owner@roster.local" {
		t.Errorf("me = %s", got)
	}
	for _, ref := range []string{"usr_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nope", "username:", "external:org_x:1", "username:nobody@example.com", "usr_" + strings.Repeat("Z", 26)} {
		s.do("GET", "/v1/users/"+ref, nil).problem(404)
	}
	// Duplicates.
	for _, body := range []map[string]any{
		{"first_name": "B", "email": "ANN.LEE@example.com"},
		{"first_name": "B", "email": "b@example.com", "username": "ann.lee@example.com"},
		{"first_name": "B", "email": "c@example.com", "organization_id": org["id"], "external_id": "crm-42"},
	} {
		s.do("POST", "/v1/users", body).problem(409)
	}
	// The same external id in another organisation is fine.
	s.do("POST", "/v1/users", map[string]any{"first_name": "B", "email": "d@example.com", "external_id": "crm-42"}).want(201)
}

func TestUserValidation(t *testing.T) {
	s := startServer(t)
	org := s.do("POST", "/v1/orgs", map[string]any{"name": "Restricted", "allowed_languages": []string{"en", "nl"}, "allowed_countries": []string{"NL", "BE"},
		"notification_events": []string{"invoice_due"}}).want(201).obj()
	long := strings.Repeat("x", 256)
	cases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"missing first name", map[string]any{"email": "a@example.com"}, 422, "body.first_name"},
		{"blank first name", map[string]any{"first_name": "   ", "email": "a@example.com"}, 422, "body.first_name"},
		{"long first name", map[string]any{"first_name": long, "email": "a@example.com"}, 422, "body.first_name"},
		{"long last name", map[string]any{"first_name": "A", "last_name": long, "email": "a@example.com"}, 422, "body.last_name"},
		{"long display name", map[string]any{"first_name": "A", "display_name": strings.Repeat("d", 64), "email": "a@example.com"}, 422, "body.display_name"},
		{"missing email", map[string]any{"first_name": "A"}, 422, "body.email"},
		{"bad email", map[string]any{"first_name": "A", "email": "not-an-email"}, 422, "body.email"},
		{"email without domain", map[string]any{"first_name": "A", "email": "a@"}, 422, "body.email"},
		{"bad phone", map[string]any{"first_name": "A", "email": "a@example.com", "phone": map[string]any{"country": "NL", "number": "12"}}, 422, "body.phone.number"},
		{"bad phone country", map[string]any{"first_name": "A", "email": "a@example.com", "phone": map[string]any{"country": "XX", "number": "0201234567"}}, 422, "body.phone.country"},
		{"wrong e164", map[string]any{"first_name": "A", "email": "a@example.com", "phone": map[string]any{"country": "NL", "number": "0201234567", "e164": "+311"}}, 422, "body.phone.e164"},
		{"bad status", map[string]any{"first_name": "A", "email": "a@example.com", "status": "gone"}, 422, "body.status"},
		{"bad availability", map[string]any{"first_name": "A", "email": "a@example.com", "availability": "busy"}, 422, "body.availability"},
		{"bad time zone", map[string]any{"first_name": "A", "email": "a@example.com", "preferences": map[string]any{"time_zone": "Mars/Base"}}, 422, "body.preferences.time_zone"},
		{"local time zone", map[string]any{"first_name": "A", "email": "a@example.com", "preferences": map[string]any{"time_zone": "Local"}}, 422, "body.preferences.time_zone"},
		{"bad language", map[string]any{"first_name": "A", "email": "a@example.com", "preferences": map[string]any{"language": "english!"}}, 422, "body.preferences.language"},
		{"language not allowed", map[string]any{"first_name": "A", "email": "a@example.com", "organization_id": org["id"], "preferences": map[string]any{"language": "sv"}}, 422, "body.preferences.language"},
		{"country not allowed", map[string]any{"first_name": "A", "email": "a@example.com", "organization_id": org["id"], "preferences": map[string]any{"default_country": "SE"}}, 422, "body.preferences.default_country"},
		{"bad colour mode", map[string]any{"first_name": "A", "email": "a@example.com", "preferences": map[string]any{"color_mode": "pink"}}, 422, "body.preferences.color_mode"},
		{"unknown notification event", map[string]any{"first_name": "A", "email": "a@example.com", "notifications": map[string]any{"events": map[string]any{"party": map[string]any{"enabled": true}}}}, 422, "body.notifications.events.party"},
		{"bad channel", map[string]any{"first_name": "A", "email": "a@example.com", "notifications": map[string]any{"events": map[string]any{"voicemail": map[string]any{"enabled": true, "channels": []string{"pigeon"}}}}}, 422, "body.notifications.events.voicemail.channels[0]"},
		{"bad notification email", map[string]any{"first_name": "A", "email": "a@example.com", "notifications": map[string]any{"email_addresses": []string{"x"}}}, 422, "body.notifications.email_addresses[0]"},
		{"bad sms number", map[string]any{"first_name": "A", "email": "a@example.com", "notifications": map[string]any{"sms_numbers": []string{"12"}}}, 422, "body.notifications.sms_numbers[0]"},
		{"bad blocked id", map[string]any{"first_name": "A", "email": "a@example.com", "notifications": map[string]any{"blocked_user_ids": []string{"bob"}}}, 422, "body.notifications.blocked_user_ids[0]"},
		{"settings not an object", map[string]any{"first_name": "A", "email": "a@example.com", "settings": []int{1}}, 422, "body.settings"},
		{"settings too large", map[string]any{"first_name": "A", "email": "a@example.com", "settings": map[string]any{"blob": strings.Repeat("s", 64<<10)}}, 422, "body.settings"},
		{"bad tag colour", map[string]any{"first_name": "A", "email": "a@example.com", "tags": []map[string]any{{"name": "x", "color": "red"}}}, 422, "body.tags[0].color"},
		{"empty tag name", map[string]any{"first_name": "A", "email": "a@example.com", "tags": []map[string]any{{"name": ""}}}, 422, "body.tags[0].name"},
		{"bad role", map[string]any{"first_name": "A", "email": "a@example.com", "roles": []string{"king"}}, 422, "body.roles[0]"},
		{"unknown organisation", map[string]any{"first_name": "A", "email": "a@example.com", "organization_id": "org_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, 422, "body.organization_id"},
		{"unknown manager", map[string]any{"first_name": "A", "email": "a@example.com", "manager_id": "usr_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, 422, "body.manager_id"},
		{"id sent", map[string]any{"first_name": "A", "email": "a@example.com", "id": "usr_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, 422, "body.id"},
		{"version sent", map[string]any{"first_name": "A", "email": "a@example.com", "version": 3}, 422, "body.version"},
		{"unknown field", map[string]any{"first_name": "A", "email": "a@example.com", "nickname": "x"}, 422, "body.nickname"},
		{"wrong type", map[string]any{"first_name": 12, "email": "a@example.com"}, 422, "body.first_name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.do("POST", "/v1/users", c.body).problem(c.status)
			if locs := fieldErrors(p); !contains(locs, c.field) {
				t.Fatalf("errors name %v, want %s: %v", locs, c.field, p)
			}
		})
	}
	// Nothing was created: only the owner exists.
	if n := len(s.do("GET", "/v1/users", nil).want(200).obj()["items"].([]any)); n != 1 {
		t.Fatalf("%d users after refused creates, want 1", n)
	}
	// A user in the restricted organisation may use its own event name.
	s.do("POST", "/v1/users", map[string]any{"first_name": "A", "email": "ok@example.com", "organization_id": org["id"],
		"preferences":   map[string]any{"language": "nl", "default_country": "BE"},
		"notifications": map[string]any{"events": map[string]any{"invoice_due": map[string]any{"enabled": true, "channels": []string{"sms"}}}}}).want(201)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestUserReplaceReadOnlyAndNoop(t *testing.T) {
	s := startServer(t)
	u := s.createUser(map[string]any{"last_name": "Lee", "phone": map[string]any{"country": "US", "number": "669-999-0000"}, "tags": []map[string]any{{"name": "a"}}})
	id := u["id"].(string)

	// Echoing the whole resource back changes nothing: no new version.
	res := s.do("PUT", "/v1/users/"+id, u).want(200)
	if res.obj()["version"] != float64(1) || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("echo PUT made a new version: %s", res.Body)
	}
	// A read-only field with another value is refused, naming the call.
	for field, value := range map[string]any{
		"id": "usr_01ARZ3NDEKTSV4RRFFQ69G5FAV", "email": "other@example.com", "username": "other",
		"email_verified": true, "mfa_enabled": true, "version": 7, "created_at": "2020-01-01T00:00:00Z",
	} {
		body := clone(u)
		body[field] = value
		p := s.do("PUT", "/v1/users/"+id, body).problem(422)
		if locs := fieldErrors(p); !contains(locs, "body."+field) {
			t.Errorf("%s: errors name %v", field, locs)
		}
	}
	body := clone(u)
	body["email"] = "other@example.com"
	p := s.do("PUT", "/v1/users/"+id, body).problem(422)
	if !strings.Contains(string(mustJSON(p)), "email-change") {
		t.Errorf("read-only email message does not name the call: %v", p)
	}
	// PUT resets omitted optional fields and keeps required ones required.
	res = s.do("PUT", "/v1/users/"+id, map[string]any{"first_name": "Ann"}).want(200)
	got := res.obj()
	if got["last_name"] != "" || got["phone"] != nil || len(got["tags"].([]any)) != 0 || got["version"] != float64(2) || got["email"] != u["email"] {
		t.Fatalf("PUT did not reset optional fields: %s", res.Body)
	}
	s.do("PUT", "/v1/users/"+id, map[string]any{"last_name": "X"}).problem(422)
	// The computed display name may be echoed back and stays computed.
	got["last_name"] = "Lee"
	got = s.do("PUT", "/v1/users/"+id, got).want(200).obj() // display_name "Ann" echoed while last name changes
	if got["display_name"] != "Ann Lee" {
		t.Fatalf("display_name = %v, want the computed Ann Lee", got["display_name"])
	}
	if s.do("GET", "/v1/users/"+id, nil).want(200).Header.Get("ETag") != `"3"` {
		t.Fatal("version is not 3 after two changes")
	}
}

func clone(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func TestUserPatchAndPreconditions(t *testing.T) {
	s := startServer(t)
	id := s.createUser(map[string]any{"last_name": "Lee"})["id"].(string)
	path := "/v1/users/" + id

	res := s.do("PATCH", path, `{"last_name": "Smith", "preferences": {"language": "nl"}}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`).want(200)
	if u := res.obj(); u["last_name"] != "Smith" || u["version"] != float64(2) || res.Header.Get("ETag") != `"2"` {
		t.Fatalf("merge patch: %s", res.Body)
	}
	// Plain application/json is a merge patch too; null removes.
	if u := s.do("PATCH", path, `{"last_name": null}`).want(200).obj(); u["last_name"] != "" {
		t.Fatalf("null did not reset last_name: %v", u["last_name"])
	}
	s.do("PATCH", path, `[{"op": "replace", "path": "/availability", "value": "unavailable"}, {"op": "add", "path": "/settings/ring", "value": "ringtone2"}]`,
		"Content-Type", "application/json-patch+json").want(200)
	u := s.do("GET", path, nil).want(200).obj()
	if u["availability"] != "unavailable" || u["settings"].(map[string]any)["ring"] != "ringtone2" {
		t.Fatalf("json patch not applied: %v", u)
	}
	etag := s.do("GET", path, nil).Header.Get("ETag")

	unchanged := func(t *testing.T) {
		t.Helper()
		if got := s.do("GET", path, nil).Header.Get("ETag"); got != etag {
			t.Fatalf("ETag %s after a refused patch, want %s", got, etag)
		}
	}
	for _, c := range []struct {
		name, ct, body string
		status         int
	}{
		{"failed test op", "application/json-patch+json", `[{"op": "test", "path": "/first_name", "value": "Nobody"}, {"op": "replace", "path": "/first_name", "value": "X"}]`, 409},
		{"missing path", "application/json-patch+json", `[{"op": "remove", "path": "/settings/nothing"}]`, 409},
		{"not an array", "application/json-patch+json", `{"op": "remove"}`, 400},
		{"unknown op", "application/json-patch+json", `[{"op": "jump", "path": "/x"}]`, 400},
		{"bad pointer", "application/json-patch+json", `[{"op": "add", "path": "x", "value": 1}]`, 400},
		{"read-only via patch", "application/json-patch+json", `[{"op": "replace", "path": "/version", "value": 9}]`, 422},
		{"unknown field via patch", "application/merge-patch+json", `{"nickname": "x"}`, 422},
		{"required removed", "application/merge-patch+json", `{"first_name": null}`, 422},
		{"merge patch not object", "application/merge-patch+json", `[1]`, 422},
		{"malformed json", "application/merge-patch+json", `{"first_name": `, 400},
		{"wrong content type", "text/plain", `first_name=x`, 415},
	} {
		t.Run(c.name, func(t *testing.T) {
			s.do("PATCH", path, c.body, "Content-Type", c.ct).problem(c.status)
			unchanged(t)
		})
	}
	t.Run("If-Match mismatch", func(t *testing.T) {
		s.do("PATCH", path, `{"first_name": "Q"}`, "If-Match", `"1"`).problem(412)
		s.do("PUT", path, map[string]any{"first_name": "Q"}, "If-Match", `W/`+etag).problem(412)
		s.do("DELETE", path, nil, "If-Match", `"99"`).problem(412)
		unchanged(t)
	})
	t.Run("If-Match star and list", func(t *testing.T) {
		s.do("PATCH", path, `{"display_name": "Q"}`, "If-Match", `"1", `+etag).want(200)
		etag = s.do("PATCH", path, `{"display_name": "R"}`, "If-Match", `*`).want(200).Header.Get("ETag")
	})
	t.Run("If-None-Match", func(t *testing.T) {
		res := s.do("GET", path, nil, "If-None-Match", etag)
		if res.Status != 304 || len(res.Body) != 0 || res.Header.Get("ETag") != etag {
			t.Fatalf("status %d, ETag %q, body %q", res.Status, res.Header.Get("ETag"), res.Body)
		}
		s.do("GET", path, nil, "If-None-Match", `"1"`).want(200)
	})
	t.Run("Prefer return=minimal", func(t *testing.T) {
		res := s.do("PATCH", path, `{"display_name": "S"}`, "Prefer", "return=minimal").want(204)
		if len(res.Body) != 0 || res.Header.Get("ETag") == "" {
			t.Fatalf("204 with body %q or no ETag", res.Body)
		}
		res = s.do("POST", "/v1/users", map[string]any{"first_name": "M", "email": "minimal@example.com"}, "Prefer", "return=minimal").want(204)
		if res.Header.Get("Location") == "" {
			t.Fatal("no Location on minimal create")
		}
	})
	t.Run("no-op patch", func(t *testing.T) {
		before := s.do("GET", path, nil).Header.Get("ETag")
		res := s.do("PATCH", path, `{"display_name": "S"}`).want(200)
		if res.Header.Get("ETag") != before {
			t.Fatalf("a patch that changes nothing made version %s (was %s)", res.Header.Get("ETag"), before)
		}
	})
}

func TestUserTagsAndDelete(t *testing.T) {
	s := startServer(t)
	id := s.createUser(nil)["id"].(string)
	path := "/v1/users/" + id
	u := s.do("POST", path+"/tags", map[string]any{"tags": []map[string]any{{"name": "vip", "color": "#ff0000"}, {"name": "beta"}}}).want(200).obj()
	if n := len(u["tags"].([]any)); n != 2 {
		t.Fatalf("%d tags", n)
	}
	u = s.do("POST", path+"/tags", map[string]any{"tags": []map[string]any{{"name": "VIP", "color": "#00ff00"}}}).want(200).obj()
	tags := u["tags"].([]any)
	if len(tags) != 2 || tags[0].(map[string]any)["color"] != "#00ff00" {
		t.Fatalf("adding an existing name: %v", tags)
	}
	s.do("POST", path+"/tags", map[string]any{"tags": []map[string]any{}}).problem(422)
	s.do("POST", path+"/tags", map[string]any{"tags": []map[string]any{{"name": "x", "id": "tag_1"}}}).problem(422)
	if n := len(s.do("GET", "/v1/users?tag=vip", nil).want(200).obj()["items"].([]any)); n != 1 {
		t.Fatalf("tag filter found %d", n)
	}
	tagID := tags[0].(map[string]any)["id"].(string)
	s.do("DELETE", path+"/tags/"+tagID, nil).want(204)
	s.do("DELETE", path+"/tags/"+tagID, nil).problem(404)
	if n := len(s.do("GET", "/v1/users?tag=vip", nil).want(200).obj()["items"].([]any)); n != 0 {
		t.Fatalf("tag filter found %d after removal", n)
	}
	s.do("DELETE", "/v1/users/me", nil).problem(409)
	s.do("DELETE", path, nil).want(204)
	s.do("GET", path, nil).problem(404)
	s.do("DELETE", path, nil).problem(404)
	s.do("PATCH", path, `{"first_name": "x"}`).problem(404)
}

func TestUserManagerReference(t *testing.T) {
	s := startServer(t)
	boss := s.createUser(map[string]any{"email": "boss@example.com"})["id"].(string)
	id := s.createUser(map[string]any{"email": "worker@example.com", "manager_id": boss})["id"].(string)
	s.do("PATCH", "/v1/users/"+id, map[string]any{"manager_id": id}).problem(422)
	if got := s.do("GET", "/v1/users/"+id, nil).want(200).str("manager_id"); got != boss {
		t.Fatalf("manager_id %q", got)
	}
	_ = http.StatusOK
}
