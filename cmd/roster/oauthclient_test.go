// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// OAuth clients as apps users sign in to (PRODUCT.md sections 9 and 13):
// their fields, validation, PUT/PATCH, secret rotation, and what the
// token endpoint makes of them.

// clientFields are the fields every client answer carries.
var clientFields = []string{"client_id", "organization_id", "name", "type", "first_party", "redirect_uris", "post_logout_redirect_uris",
	"grant_types", "scopes", "allowed_scopes", "id_token_signed_response_alg", "created_at", "updated_at", "version", "_links"}

// strs reads a JSON array of strings; it fails on null.
func strs(t *testing.T, m map[string]any, field string) []string {
	t.Helper()
	list, ok := m[field].([]any)
	if !ok {
		t.Fatalf("%s is %v, want an array", field, m[field])
	}
	out := []string{}
	for _, v := range list {
		out = append(out, v.(string))
	}
	return out
}

func TestOAuthClientCreate(t *testing.T) {
	s := startServer(t)
	// The body of before section 9 makes what it made then.
	res := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "sync", "scopes": []string{"users:read"}}).want(201)
	old := res.obj()
	for _, f := range clientFields {
		if _, ok := old[f]; !ok {
			t.Errorf("the answer lacks %s: %s", f, res.Body)
		}
	}
	if old["type"] != "confidential" || old["first_party"] != false || old["id_token_signed_response_alg"] != "RS256" || old["version"] != 1.0 ||
		!slices.Equal(strs(t, old, "grant_types"), []string{"client_credentials"}) || len(strs(t, old, "redirect_uris")) != 0 ||
		len(strs(t, old, "post_logout_redirect_uris")) != 0 || len(strs(t, old, "allowed_scopes")) != 0 {
		t.Errorf("{name, scopes} made %s", res.Body)
	}
	if !strings.HasPrefix(res.str("client_secret"), "rcs_") || res.Header.Get("ETag") != `"1"` || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the creation answer: secret %q, ETag %q, Cache-Control %q", res.str("client_secret"), res.Header.Get("ETag"), res.Header.Get("Cache-Control"))
	}

	// A single-page app: public, no secret, code and refresh by default.
	spa := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "SPA", "type": "public",
		"redirect_uris":             []string{"https://app.example.com/cb", "http://127.0.0.1:8080/cb", "http://[::1]/cb", "http://localhost:3000/cb"},
		"post_logout_redirect_uris": []string{"https://app.example.com/"},
		"allowed_scopes":            []string{"openid", "profile", "email", "phone", "offline_access", "users:read", "users:write:self"}}).want(201).obj()
	if _, ok := spa["client_secret"]; ok {
		t.Errorf("a public client got a secret: %v", spa)
	}
	if !slices.Equal(strs(t, spa, "grant_types"), []string{"authorization_code", "refresh_token"}) || len(strs(t, spa, "scopes")) != 0 {
		t.Errorf("a public client's grant_types %v, scopes %v", spa["grant_types"], spa["scopes"])
	}
	if _, ok := spa["_links"].(map[string]any)["rotate_secret"]; ok {
		t.Error("a public client links to rotate-secret")
	}
	// A code client with no allowed_scopes may ask for the usual OpenID ones.
	web := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "Web", "redirect_uris": []string{"https://web.example.com/cb"}}).want(201).obj()
	if !slices.Equal(strs(t, web, "allowed_scopes"), []string{"openid", "profile", "email"}) || web["client_secret"] == nil {
		t.Errorf("a confidential code client: %v", web)
	}
	// A native app: a private-use scheme; a first-party app: the password grant.
	s.do("POST", "/v1/oauth-clients", map[string]any{"name": "Native", "type": "public", "redirect_uris": []string{"com.example.app:/oauth2redirect"},
		"id_token_signed_response_alg": "ES256"}).want(201)
	first := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "Console", "first_party": true, "grant_types": []string{"password", "refresh_token"}}).want(201).obj()
	if first["first_party"] != true || !slices.Equal(strs(t, first, "grant_types"), []string{"password", "refresh_token"}) {
		t.Errorf("a first-party client: %v", first)
	}

	long := "https://app.example.com/" + strings.Repeat("a", 2000)
	many := make([]string, 21)
	for i := range many {
		many[i] = "https://app.example.com/cb" + string(rune('a'+i))
	}
	for _, c := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no name", map[string]any{"name": " ", "scopes": []string{"users:read"}}, "body.name"},
		{"unknown type", map[string]any{"name": "x", "type": "secret", "scopes": []string{"users:read"}}, "body.type"},
		{"unknown grant", map[string]any{"name": "x", "grant_types": []string{"implicit"}}, "body.grant_types[0]"},
		{"no grant", map[string]any{"name": "x", "grant_types": []string{}}, "body.grant_types"},
		{"public client_credentials", map[string]any{"name": "x", "type": "public", "grant_types": []string{"client_credentials"}, "scopes": []string{"users:read"}}, "body.grant_types[0]"},
		{"public without redirect_uris", map[string]any{"name": "x", "type": "public"}, "body.grant_types[0]"},
		{"password, not first-party", map[string]any{"name": "x", "grant_types": []string{"password"}}, "body.grant_types[0]"},
		{"client_credentials without scopes", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}}, "body.scopes"},
		{"code without redirect_uris", map[string]any{"name": "x", "grant_types": []string{"authorization_code"}}, "body.redirect_uris"},
		{"http on a public host", map[string]any{"name": "x", "redirect_uris": []string{"http://app.example.com/cb"}}, "body.redirect_uris[0]"},
		{"http on another loopback address", map[string]any{"name": "x", "redirect_uris": []string{"http://127.0.0.2/cb"}}, "body.redirect_uris[0]"},
		{"http on a mapped loopback address", map[string]any{"name": "x", "redirect_uris": []string{"http://[::ffff:127.0.0.1]/cb"}}, "body.redirect_uris[0]"},
		{"fragment", map[string]any{"name": "x", "redirect_uris": []string{"https://app.example.com/cb#x"}}, "body.redirect_uris[0]"},
		{"relative", map[string]any{"name": "x", "redirect_uris": []string{"/cb"}}, "body.redirect_uris[0]"},
		{"no host", map[string]any{"name": "x", "redirect_uris": []string{"https:///cb"}}, "body.redirect_uris[0]"},
		{"space", map[string]any{"name": "x", "redirect_uris": []string{"https://app.example.com/c b"}}, "body.redirect_uris[0]"},
		{"user info", map[string]any{"name": "x", "redirect_uris": []string{"https://u:p@app.example.com/cb"}}, "body.redirect_uris[0]"},
		{"javascript", map[string]any{"name": "x", "type": "public", "redirect_uris": []string{"javascript:alert(1)"}}, "body.redirect_uris[0]"},
		{"private-use scheme, confidential", map[string]any{"name": "x", "redirect_uris": []string{"com.example.app:/cb"}}, "body.redirect_uris[0]"},
		{"too long", map[string]any{"name": "x", "redirect_uris": []string{long}}, "body.redirect_uris[0]"},
		{"too many", map[string]any{"name": "x", "redirect_uris": many}, "body.redirect_uris"},
		{"logout URI", map[string]any{"name": "x", "redirect_uris": []string{"https://a.example.com/cb"}, "post_logout_redirect_uris": []string{"ftp://a.example.com/"}}, "body.post_logout_redirect_uris[0]"},
		{"allowed keys:write", map[string]any{"name": "x", "redirect_uris": []string{"https://a.example.com/cb"}, "allowed_scopes": []string{"openid", "keys:write"}}, "body.allowed_scopes[1]"},
		{"allowed unknown", map[string]any{"name": "x", "redirect_uris": []string{"https://a.example.com/cb"}, "allowed_scopes": []string{"address"}}, "body.allowed_scopes[0]"},
		{"alg", map[string]any{"name": "x", "redirect_uris": []string{"https://a.example.com/cb"}, "id_token_signed_response_alg": "HS256"}, "body.id_token_signed_response_alg"},
		{"read-only", map[string]any{"name": "x", "scopes": []string{"users:read"}, "version": 3}, "body.version"},
	} {
		p := s.do("POST", "/v1/oauth-clients", c.body).problem(422)
		if !slices.Contains(fieldErrors(p), c.field) {
			t.Errorf("%s: errors at %v, want %s: %v", c.name, fieldErrors(p), c.field, p)
		}
	}

	// Nobody makes a client that can do more than their own token.
	narrow := s.do("POST", "/v1/api-keys", map[string]any{"name": "narrow", "scopes": []string{"keys:write", "users:read"}}).want(201).str("key")
	s.doAs(narrow, "POST", "/v1/oauth-clients", map[string]any{"name": "x", "redirect_uris": []string{"https://a.example.com/cb"},
		"allowed_scopes": []string{"openid", "users:write:all"}}).problem(403)
	s.doAs(narrow, "POST", "/v1/oauth-clients", map[string]any{"name": "x", "redirect_uris": []string{"https://a.example.com/cb"},
		"allowed_scopes": []string{"openid", "email", "users:read"}}).want(201)
}

func TestOAuthClientChange(t *testing.T) {
	s := startServer(t)
	created := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "app", "scopes": []string{"users:read"}}).want(201).obj()
	id, secret := created["client_id"].(string), created["client_secret"].(string)
	path := "/v1/oauth-clients/" + id

	got := s.do("GET", path, nil).want(200)
	if got.Header.Get("ETag") != `"1"` || strings.Contains(string(got.Body), "client_secret") || got.obj()["name"] != "app" {
		t.Fatalf("GET: ETag %q, %s", got.Header.Get("ETag"), got.Body)
	}
	s.do("GET", path, nil, "If-None-Match", `"1"`).want(304)
	s.do("GET", "/v1/oauth-clients/cli_01JD3M0000000000000000000A", nil).problem(404)

	// PATCH, with and without the right If-Match.
	s.do("PATCH", path, map[string]any{"name": "App"}, "If-Match", `"7"`).problem(412)
	patched := s.do("PATCH", path, map[string]any{"name": "App", "redirect_uris": []string{"https://app.example.com/cb"},
		"grant_types": []string{"client_credentials", "authorization_code", "refresh_token"}, "allowed_scopes": nil}, "If-Match", `"1"`).want(200) // null: the default
	if p := patched.obj(); p["version"] != 2.0 || patched.Header.Get("ETag") != `"2"` || p["name"] != "App" ||
		!slices.Equal(strs(t, p, "allowed_scopes"), []string{"openid", "profile", "email"}) || p["client_secret"] != nil {
		t.Errorf("after PATCH: %s", patched.Body)
	}
	// A change that changes nothing writes nothing.
	if v := s.do("PATCH", path, map[string]any{"name": "App"}).want(200).obj()["version"]; v != 2.0 {
		t.Errorf("a PATCH that changes nothing made version %v", v)
	}
	// PUT takes back what GET gives.
	again := s.do("GET", path, nil).want(200).obj()
	if v := s.do("PUT", path, again).want(200).obj()["version"]; v != 2.0 {
		t.Errorf("PUT of the client as GET shows it made version %v", v)
	}
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"organization_id": s.do("POST", "/v1/orgs", map[string]any{"name": "Else"}).want(201).str("id")}, "body.organization_id"},
		{map[string]any{"client_id": "cli_01JD3M0000000000000000000A"}, "body.client_id"},
		{map[string]any{"version": 9}, "body.version"},
		{map[string]any{"redirect_uris": []string{"http://app.example.com/"}}, "body.redirect_uris[0]"},
		{map[string]any{"type": "public"}, "body.grant_types[0]"}, // it still has client_credentials
	} {
		if p := s.do("PATCH", path, c.body).problem(422); !slices.Contains(fieldErrors(p), c.field) {
			t.Errorf("PATCH %v: errors at %v, want %s", c.body, fieldErrors(p), c.field)
		}
	}
	// JSON Patch works too.
	s.do("PATCH", path, `[{"op": "replace", "path": "/first_party", "value": true}]`, "Content-Type", "application/json-patch+json").want(200)

	// The secret works; a token of the client follows its changes at once.
	tok := clientToken(t, s, id, secret, "users:read")
	s.doAs(tok, "GET", "/v1/users", nil).want(200)

	// Rotation: the new secret works, the old one no longer.
	rot := s.do("POST", path+"/rotate-secret", nil).want(200)
	fresh := rot.str("client_secret")
	if !strings.HasPrefix(fresh, "rcs_") || fresh == secret || rot.Header.Get("Cache-Control") != "no-store" || rot.obj()["version"] != 4.0 {
		t.Fatalf("rotate-secret: %s", rot.Body)
	}
	if st, m, _ := s.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}); st != 401 || m["error"] != "invalid_client" {
		t.Errorf("the old secret after rotation: %d %v", st, m)
	}
	clientToken(t, s, id, fresh, "users:read")
	if strings.Contains(string(s.do("GET", path, nil).want(200).Body), fresh) {
		t.Error("GET shows the secret")
	}

	// Without the client_credentials grant, the client gets no token and
	// its tokens stop working.
	s.do("PATCH", path, map[string]any{"grant_types": []string{"authorization_code"}}).want(200)
	if st, m, _ := s.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {fresh}}); st != 400 || m["error"] != "unauthorized_client" {
		t.Errorf("client_credentials for a client without the grant: %d %v", st, m)
	}
	s.doAs(tok, "GET", "/v1/users", nil).problem(401)

	// Made public, it loses its secret; made confidential again, it gets
	// a new one, once.
	pub := s.do("PATCH", path, map[string]any{"type": "public"}).want(200).obj()
	if pub["client_secret"] != nil {
		t.Errorf("a client made public shows a secret: %v", pub)
	}
	if st, m, _ := s.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {fresh}}); st != 400 || m["error"] != "unauthorized_client" {
		t.Errorf("client_credentials for a public client: %d %v", st, m)
	}
	if st, m, _ := s.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}}); st != 400 || m["error"] != "unauthorized_client" {
		t.Errorf("client_credentials for a public client without a secret: %d %v", st, m)
	}
	s.do("POST", path+"/rotate-secret", nil).problem(409)
	conf := s.do("PATCH", path, map[string]any{"type": "confidential", "grant_types": []string{"client_credentials"}}).want(200)
	if next := conf.str("client_secret"); !strings.HasPrefix(next, "rcs_") || conf.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a client made confidential: %s", conf.Body)
	} else {
		clientToken(t, s, id, next, "users:read")
	}

	// Narrower scopes narrow the tokens already out.
	wide := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "wide", "scopes": []string{"users:read", "orgs:read"}}).want(201).obj()
	wideTok := clientToken(t, s, wide["client_id"].(string), wide["client_secret"].(string), "")
	s.doAs(wideTok, "GET", "/v1/orgs", nil).want(200)
	s.do("PUT", "/v1/oauth-clients/"+wide["client_id"].(string), map[string]any{"name": "wide", "scopes": []string{"users:read"}}).want(200)
	s.doAs(wideTok, "GET", "/v1/orgs", nil).problem(403)
	s.doAs(wideTok, "GET", "/v1/users", nil).want(200)

	s.do("DELETE", path, nil, "If-Match", `"1"`).problem(412)
	s.do("DELETE", path, nil).want(204)
	s.do("GET", path, nil).problem(404)
	s.do("POST", path+"/rotate-secret", nil).problem(404)
}

// clientToken gets a client_credentials token (for scope, when not "").
func clientToken(t *testing.T, s *testServer, id, secret, scope string) string {
	t.Helper()
	vals := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	if scope != "" {
		vals.Set("scope", scope)
	}
	st, m, r := s.tokenForm(vals)
	if st != 200 {
		t.Fatalf("client_credentials: %d %s", st, r.Body)
	}
	return m["access_token"].(string)
}

// TestOAuthClientStoredBefore: a client stored before section 9's fields
// reads, and works, as the client_credentials client it was.
func TestOAuthClientStoredBefore(t *testing.T) {
	s := startServer(t)
	created := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "old", "scopes": []string{"users:read"}}).want(201).obj()
	id := created["client_id"].(string)
	db := storeSQL(t, s)
	doc := `{"client_id":"` + id + `","organization_id":"` + created["organization_id"].(string) + `","name":"old","scopes":["users:read"],"created_at":"` + created["created_at"].(string) + `"}`
	q := `UPDATE oauth_clients SET doc = ? WHERE id = ?`
	if onPostgres() {
		q = `UPDATE oauth_clients SET doc = $1 WHERE id = $2`
	}
	if _, err := db.Exec(q, doc, id); err != nil {
		t.Fatal(err)
	}
	got := s.do("GET", "/v1/oauth-clients/"+id, nil).want(200).obj()
	for _, f := range clientFields {
		if _, ok := got[f]; !ok {
			t.Errorf("an old client lacks %s: %v", f, got)
		}
	}
	if got["type"] != "confidential" || !slices.Equal(strs(t, got, "grant_types"), []string{"client_credentials"}) || got["version"] != 1.0 ||
		got["updated_at"] != got["created_at"] || got["id_token_signed_response_alg"] != "RS256" || len(strs(t, got, "redirect_uris")) != 0 {
		t.Errorf("an old client reads as %v", got)
	}
	clientToken(t, s, id, created["client_secret"].(string), "")
	if v := s.do("PATCH", "/v1/oauth-clients/"+id, map[string]any{"name": "renamed"}, "If-Match", `"1"`).want(200).obj()["version"]; v != 2.0 {
		t.Errorf("an old client's first change made version %v, want 2", v)
	}
}

// TestOAuthClientConcurrentChanges: of concurrent changes made against
// one version (If-Match), exactly one wins; concurrent rotations each
// write a version and an event of their own, and only the last secret
// works.
func TestOAuthClientConcurrentChanges(t *testing.T) {
	s := startServer(t)
	created := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "race", "scopes": []string{"users:read"}}).want(201).obj()
	id := created["client_id"].(string)
	path := "/v1/oauth-clients/" + id
	const n = 8
	send := func(i int, method, suffix string, body string, ifMatch string) (int, map[string]any) {
		req, err := http.NewRequest(method, s.URL+path+suffix, strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, nil
		}
		req.Header.Set("Authorization", "Bearer "+s.Key)
		if body != "" {
			req.Header.Set("Content-Type", "application/merge-patch+json")
		}
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("request %d: %v", i, err)
			return 0, nil
		}
		defer res.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	run := func(fn func(i int)) {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() { <-start; fn(i) })
		}
		close(start)
		wg.Wait()
	}

	statuses := make([]int, n)
	run(func(i int) { statuses[i], _ = send(i, "PATCH", "", fmt.Sprintf(`{"name": "race %d"}`, i), `"1"`) })
	won := slices.DeleteFunc(slices.Clone(statuses), func(st int) bool { return st == 412 })
	if !slices.Equal(won, []int{200}) {
		t.Fatalf("concurrent PATCHes against version 1: %v, want one 200 and the rest 412", statuses)
	}

	secrets := make([]string, n)
	run(func(i int) {
		st, m := send(i, "POST", "/rotate-secret", "", "")
		if st != 200 {
			t.Errorf("rotation %d: %d %v", i, st, m)
			return
		}
		secrets[i], _ = m["client_secret"].(string)
	})
	got := s.do("GET", path, nil).want(200).obj()
	if got["version"] != float64(2+n) {
		t.Errorf("after %d rotations the version is %v, want %d", n, got["version"], 2+n)
	}
	works := 0
	for _, secret := range secrets {
		if st, _, _ := s.tokenForm(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}); st == 200 {
			works++
		}
	}
	if works != 1 {
		t.Errorf("%d of %d rotated secrets work, want only the last one", works, n)
	}
	var types []string
	for _, e := range feedOf(t, string(s.do("GET", "/v1/events?limit=200", nil).want(200).Body)) {
		if e.Resource.ID == id {
			types = append(types, e.Type)
		}
	}
	if want := append([]string{"oauth_client.created", "oauth_client.updated"}, slices.Repeat([]string{"oauth_client.secret_rotated"}, n)...); !slices.Equal(types, want) {
		t.Errorf("the client's events: %v, want %v", types, want)
	}
}

// TestFirstPartyClientsAreTheOperators: a first-party app signs users in
// without asking them, so with prompt=none an owner's session would hand
// a code to whatever redirect URI the client's administrator set. Only
// an owner of the root organisation makes a client first-party or
// changes, rotates or re-points one; a reseller's admin still makes
// third-party apps, whose users are asked.
func TestFirstPartyClientsAreTheOperators(t *testing.T) {
	s := startServer(t)
	root := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	reseller := s.do("POST", "/v1/orgs", map[string]any{"name": "Acme Reseller", "parent_id": root}).want(201).str("id")
	ria := s.createUser(map[string]any{"email": "ria@example.com", "first_name": "Ria", "organization_id": reseller, "roles": []string{"admin"}})
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "ria", "user_id": ria["id"], "scopes": []string{"keys:write", "users:read"}}).want(201).str("key")
	app := map[string]any{"name": "Reseller app", "organization_id": reseller, "redirect_uris": []string{"https://app.example.com/cb"}}
	s.doAs(key, "POST", "/v1/oauth-clients", app).want(201)
	app["first_party"] = true
	if p := s.doAs(key, "POST", "/v1/oauth-clients", app).problem(403); !strings.Contains(fmt.Sprint(p["detail"]), "first-party") {
		t.Errorf("the refusal does not say why: %v", p)
	}
	id := s.do("POST", "/v1/oauth-clients", app).want(201).str("client_id")
	path := "/v1/oauth-clients/" + id
	s.doAs(key, "PATCH", path, map[string]any{"redirect_uris": []string{"https://evil.example/cb"}}, "Content-Type", "application/merge-patch+json").problem(403)
	s.doAs(key, "POST", path+"/rotate-secret", nil).problem(403)
	if got := strs(t, s.do("GET", path, nil).want(200).obj(), "redirect_uris"); !slices.Equal(got, []string{"https://app.example.com/cb"}) {
		t.Errorf("the first-party client was re-pointed: %v", got)
	}
	s.do("PATCH", path, map[string]any{"redirect_uris": []string{"https://app.example.com/cb2"}}, "Content-Type", "application/merge-patch+json").want(200)
}
