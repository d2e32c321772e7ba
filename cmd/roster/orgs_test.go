// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

func TestOrganizations(t *testing.T) {
	s := startServer(t)
	root := s.do("GET", "/v1/users/me", nil).str("organization_id")
	res := s.do("POST", "/v1/orgs", map[string]any{
		"name": "Acme Resellers", "external_id": "r-1", "currency": "EUR", "domain": "Acme.example.com",
		"white_label": map[string]any{"logo_url": "https://acme.example.com/logo.png", "email_address": "hello@acme.example.com", "header_background_color": "#112233"},
		"plan":        map[string]any{"id": "pro", "name": "Professional"}, "features": []string{"scheduling", "call", "call_tracking"}, "seats": 10,
		"allowed_languages": []string{"en", "nl", "es", "sv"}, "allowed_countries": []string{"NL", "BE", "ES", "SE"}, "notification_events": []string{"invoice_due"},
	}).want(201)
	reseller := res.obj()
	rid := reseller["id"].(string)
	if res.Header.Get("Location") != "/v1/orgs/"+rid || reseller["parent_id"] != root || reseller["credit"] != "0" || reseller["domain"] != "acme.example.com" || reseller["version"] != float64(1) {
		t.Fatalf("created: %s", res.Body)
	}
	client := s.do("POST", "/v1/orgs", map[string]any{"name": "Client A", "parent_id": rid, "external_id": "c-1", "features": []string{"fax"}}).want(201).str("id")
	s.do("POST", "/v1/orgs", map[string]any{"name": "Client B", "parent_id": rid, "external_id": "c-1"}).problem(409)
	s.do("POST", "/v1/orgs", map[string]any{"name": "Other", "external_id": "c-1"}).want(201) // another parent: fine
	mid := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	disabled := s.do("POST", "/v1/orgs", map[string]any{"name": "Sleepy", "parent_id": rid, "status": "disabled"}).want(201).str("id")

	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no name", map[string]any{}, "body.name"},
		{"long name", map[string]any{"name": string(make([]byte, 256))}, "body.name"},
		{"bad currency", map[string]any{"name": "x", "currency": "XYZ"}, "body.currency"},
		{"lower-case currency", map[string]any{"name": "x", "currency": "eur"}, "body.currency"},
		{"bad status", map[string]any{"name": "x", "status": "paused"}, "body.status"},
		{"negative seats", map[string]any{"name": "x", "seats": -1}, "body.seats"},
		{"bad feature", map[string]any{"name": "x", "features": []string{"Call Tracking"}}, "body.features[0]"},
		{"bad language", map[string]any{"name": "x", "allowed_languages": []string{"??"}}, "body.allowed_languages[0]"},
		{"bad country", map[string]any{"name": "x", "allowed_countries": []string{"XX"}}, "body.allowed_countries[0]"},
		{"bad logo", map[string]any{"name": "x", "white_label": map[string]any{"logo_url": "javascript:alert(1)"}}, "body.white_label.logo_url"},
		{"bad colour", map[string]any{"name": "x", "white_label": map[string]any{"menu_background_color": "blue"}}, "body.white_label.menu_background_color"},
		{"bad domain", map[string]any{"name": "x", "domain": "not a domain"}, "body.domain"},
		{"unknown parent", map[string]any{"name": "x", "parent_id": "org_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "body.parent_id"},
		{"credit set", map[string]any{"name": "x", "credit": "100"}, "body.credit"},
		{"unknown field", map[string]any{"name": "x", "colour": "red"}, "body.colour"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if locs := fieldErrors(s.do("POST", "/v1/orgs", c.body).problem(422)); !contains(locs, c.field) {
				t.Fatalf("errors name %v, want %s", locs, c.field)
			}
		})
	}

	lists := map[string][]string{
		"/v1/orgs?parent_id=" + rid: {client, disabled},
		"/v1/orgs?status=disabled":  {disabled},
		"/v1/orgs?feature=fax":      {client},
		"/v1/orgs?q=RESELL":         {rid},
		"/v1/orgs?q=acme.example":   {rid},
		"/v1/orgs?created_after=" + url.QueryEscape(mid.Format(time.RFC3339Nano)): {disabled},
	}
	for path, want := range lists {
		if got := s.ids(path); !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
	if all := s.ids("/v1/orgs?limit=1"); len(all) != 5 || all[0] != root {
		t.Errorf("paging all orgs: %v", all)
	}
	s.do("GET", "/v1/orgs?limit=0", nil).problem(400)
	s.do("GET", "/v1/orgs/org_01ARZ3NDEKTSV4RRFFQ69G5FAV", nil).problem(404)
	s.do("GET", "/v1/orgs/nope", nil).problem(404)

	// Echo PUT changes nothing; credit is read-only; patch works.
	got := s.do("GET", "/v1/orgs/"+rid, nil).want(200).obj()
	if v := s.do("PUT", "/v1/orgs/"+rid, got).want(200).obj()["version"]; v != float64(1) {
		t.Fatalf("echo PUT made version %v", v)
	}
	got["credit"] = "5"
	s.do("PUT", "/v1/orgs/"+rid, got).problem(422)
	p := s.do("PATCH", "/v1/orgs/"+rid, `{"seats": 12, "plan": null}`, "Content-Type", "application/merge-patch+json", "If-Match", `"1"`).want(200).obj()
	if p["seats"] != float64(12) || p["plan"] != nil || p["version"] != float64(2) {
		t.Fatalf("patch: %v", p)
	}
	s.do("PATCH", "/v1/orgs/"+rid, `[{"op": "test", "path": "/seats", "value": 1}]`, "Content-Type", "application/json-patch+json").problem(409)
	// Moving below one's own descendant is refused; the root has no parent.
	s.do("PATCH", "/v1/orgs/"+rid, map[string]any{"parent_id": client}).problem(422)
	s.do("PATCH", "/v1/orgs/"+root, map[string]any{"parent_id": rid}).problem(422)
	s.do("PATCH", "/v1/orgs/"+client, map[string]any{"parent_id": nil}).problem(422)

	// Credit.
	s.do("POST", "/v1/orgs/"+client+"/credit", map[string]any{"amount": "10.50", "reason": "top-up"}).want(200)
	c := s.do("POST", "/v1/orgs/"+client+"/credit", map[string]any{"amount": "-0.25", "reason": "call"}).want(200).obj()
	if c["credit"] != "10.25" {
		t.Fatalf("credit %v, want 10.25", c["credit"])
	}
	for _, bad := range []map[string]any{{"amount": "ten", "reason": "x"}, {"amount": "1.00001", "reason": "x"}, {"amount": "1", "reason": ""}, {"amount": 5, "reason": "x"}} {
		s.do("POST", "/v1/orgs/"+client+"/credit", bad).problem(422)
	}

	// Delete: refused while in use, and for the root.
	s.do("POST", "/v1/users", map[string]any{"first_name": "A", "email": "a@client.example.com", "organization_id": client}).want(201)
	s.do("DELETE", "/v1/orgs/"+rid, nil).problem(409)    // has children
	s.do("DELETE", "/v1/orgs/"+client, nil).problem(409) // has a user
	s.do("DELETE", "/v1/orgs/"+root, nil).problem(409)
	s.do("DELETE", "/v1/orgs/"+disabled, nil, "If-Match", `"7"`).problem(412)
	s.do("DELETE", "/v1/orgs/"+disabled, nil).want(204)
	s.do("GET", "/v1/orgs/"+disabled, nil).problem(404)
}
