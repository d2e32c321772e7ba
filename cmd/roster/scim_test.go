// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// scimTenant is an organisation below the root with an admin and that
// admin's SCIM key (an API key holding only the scim scope).
type scimTenant struct {
	s               *testServer
	direct          *testServer // the server itself, never through Prism
	org, admin, key string
}

// scimDirect is s without the Prism proxy of ROSTER_TEST_PRISM: /scim/v2
// is no part of the OpenAPI document (it follows RFC 7644 instead).
func scimDirect(s *testServer) *testServer {
	d := *s
	d.URL = "http://" + s.Main.Addr()
	return &d
}

func newSCIMTenant(t *testing.T, s *testServer, name string) *scimTenant {
	t.Helper()
	root := s.do("GET", "/v1/users/me", nil).want(200).str("organization_id")
	org := s.do("POST", "/v1/orgs", map[string]any{"name": name, "parent_id": root}).want(201).str("id")
	admin := s.do("POST", "/v1/users", map[string]any{"first_name": "Admin", "email": "admin@" + strings.ToLower(name) + ".example",
		"organization_id": org, "roles": []string{"admin"}}).want(201).str("id")
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "idp", "user_id": admin, "scopes": []string{"scim"}}).want(201).str("key")
	return &scimTenant{s: s, direct: scimDirect(s), org: org, admin: admin, key: key}
}

// call sends a SCIM request with the tenant's key.
func (c *scimTenant) call(method, path string, body any, headers ...string) *response {
	c.s.t.Helper()
	if body != nil {
		headers = append([]string{"Content-Type", "application/scim+json"}, headers...)
	}
	return c.direct.doAs(c.key, method, "/scim/v2"+path, body, headers...)
}

// scimError checks a SCIM error document and returns its scimType.
func scimError(t *testing.T, r *response, status int) string {
	t.Helper()
	r.want(status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		t.Fatalf("Content-Type %q, want application/scim+json; body %s", ct, r.Body)
	}
	e := r.obj()
	if s, _ := e["schemas"].([]any); len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:Error" || e["status"] != fmt.Sprint(status) {
		t.Fatalf("not a SCIM error document for %d: %s", status, r.Body)
	}
	st, _ := e["scimType"].(string)
	return st
}

func scimUser(userName, given, family, email string) map[string]any {
	return map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName, "active": true,
		"name":   map[string]any{"givenName": given, "familyName": family},
		"emails": []any{map[string]any{"value": email, "type": "work", "primary": true}},
	}
}

// listIDs runs a list query and returns the ids it answers, in order.
func (c *scimTenant) listIDs(t *testing.T, query string) []string {
	t.Helper()
	res := c.call("GET", "/Users?"+query, nil).want(200).obj()
	var ids []string
	for _, r := range res["Resources"].([]any) {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	return ids
}

func TestSCIMDiscovery(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Disc")
	cfg := c.call("GET", "/ServiceProviderConfig", nil, "Accept", "application/scim+json").want(200)
	if ct := cfg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		t.Fatalf("Content-Type %q", ct)
	}
	if p := cfg.obj()["patch"].(map[string]any); p["supported"] != true {
		t.Fatalf("patch not supported: %s", cfg.Body)
	}
	rts := c.call("GET", "/ResourceTypes", nil).want(200).obj()
	if rts["totalResults"] != float64(2) {
		t.Fatalf("resource types: %v", rts)
	}
	schemas := c.call("GET", "/Schemas", nil).want(200).obj()["Resources"].([]any)
	var ids []string
	for _, sc := range schemas {
		ids = append(ids, sc.(map[string]any)["id"].(string))
	}
	if !slices.Contains(ids, "urn:ietf:params:scim:schemas:core:2.0:User") || !slices.Contains(ids, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User") {
		t.Fatalf("schemas: %v", ids)
	}
	c.call("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil).want(200)
	scimError(t, c.call("GET", "/Nothing", nil), 404)
}

func TestSCIMAuthentication(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Auth")
	d := scimDirect(s)
	scimError(t, d.doAs("", "GET", "/scim/v2/Users", nil), 401)
	scimError(t, d.doAs("wrong", "GET", "/scim/v2/Users", nil), 401)
	// A key without the scim scope, even the root owner's, is no SCIM token.
	scimError(t, d.do("GET", "/scim/v2/Users", nil), 403)
	// A SCIM key is no key for /v1.
	s.doAs(c.key, "GET", "/v1/users", nil).want(403)
	// Its holder must be an admin of its organisation.
	member := s.do("POST", "/v1/users", map[string]any{"first_name": "M", "email": "m@auth.example", "organization_id": c.org}).want(201).str("id")
	mkey := s.do("POST", "/v1/api-keys", map[string]any{"name": "idp", "user_id": member, "scopes": []string{"users:read"}}).want(201).str("key")
	scimError(t, d.doAs(mkey, "GET", "/scim/v2/Users", nil), 403)
	s.do("POST", "/v1/api-keys", map[string]any{"name": "idp", "user_id": member, "scopes": []string{"scim"}}).want(403)
	// A client_credentials token with the scim scope works too.
	cl := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "idp", "scopes": []string{"scim"}, "organization_id": c.org}).want(201).obj()
	tok := s.form("/v1/auth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {cl["client_id"].(string)}, "client_secret": {cl["client_secret"].(string)}}).want(200).str("access_token")
	d.doAs(tok, "GET", "/scim/v2/Users", nil).want(200)
}

// TestSCIMSubtree: a SCIM token sees, finds, changes and deletes only
// users below its organisation, and creates users in it.
func TestSCIMSubtree(t *testing.T) {
	s := startServer(t)
	a := newSCIMTenant(t, s, "Alpha")
	b := newSCIMTenant(t, s, "Beta")
	child := s.do("POST", "/v1/orgs", map[string]any{"name": "Alpha child", "parent_id": a.org}).want(201).str("id")
	inChild := s.do("POST", "/v1/users", map[string]any{"first_name": "Kid", "email": "kid@alpha.example", "organization_id": child}).want(201).str("id")
	other := b.call("POST", "/Users", scimUser("bob@beta.example", "Bob", "B", "bob@beta.example")).want(201).obj()
	bob := other["id"].(string)
	if got := s.do("GET", "/v1/users/"+bob, nil).want(200).str("organization_id"); got != b.org {
		t.Fatalf("created in %s, want the token's organisation %s", got, b.org)
	}
	a.call("GET", "/Users/"+inChild, nil).want(200)
	scimError(t, a.call("GET", "/Users/"+bob, nil), 404)
	scimError(t, a.call("PUT", "/Users/"+bob, scimUser("bob@beta.example", "X", "Y", "bob@beta.example")), 404)
	scimError(t, a.call("PATCH", "/Users/"+bob, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}), 404)
	scimError(t, a.call("DELETE", "/Users/"+bob, nil), 404)
	if ids := a.listIDs(t, "filter="+url.QueryEscape(`userName eq "bob@beta.example"`)); len(ids) != 0 {
		t.Fatalf("found another tenant's user: %v", ids)
	}
	if ids := a.listIDs(t, "count=1000"); slices.Contains(ids, bob) || !slices.Contains(ids, inChild) {
		t.Fatalf("list: %v", ids)
	}
	// The root owner is above the token: out of reach.
	owner := s.do("GET", "/v1/users/me", nil).want(200).str("id")
	scimError(t, a.call("GET", "/Users/"+owner, nil), 404)
	// An owner of the token's organisation outranks the token (an admin).
	boss := s.do("POST", "/v1/users", map[string]any{"first_name": "Boss", "email": "boss@alpha.example", "organization_id": a.org, "roles": []string{"owner"}}).want(201).str("id")
	scimError(t, a.call("PATCH", "/Users/"+boss, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "active", "value": false}}}), 403)
	scimError(t, a.call("DELETE", "/Users/"+boss, nil), 403)
}

func TestSCIMUserLifecycle(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Life")
	body := scimUser("jane@life.example", "Jane", "Doe", "jane@life.example")
	body["externalId"] = "ext-1"
	body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] = map[string]any{"manager": map[string]any{"value": c.admin}, "department": "Sales"}
	created := c.call("POST", "/Users", body).want(201)
	u := created.obj()
	id := u["id"].(string)
	if created.Header.Get("Location") == "" || created.Header.Get("ETag") != `W/"1"` || u["meta"].(map[string]any)["version"] != `W/"1"` {
		t.Fatalf("created: %v %s", created.Header, created.Body)
	}
	api := s.do("GET", "/v1/users/"+id, nil).want(200).obj()
	if api["first_name"] != "Jane" || api["last_name"] != "Doe" || api["external_id"] != "ext-1" || api["manager_id"] != c.admin || api["username"] != "jane@life.example" {
		t.Fatalf("mapped: %v", api)
	}
	// A duplicate userName is 409 uniqueness.
	if st := scimError(t, c.call("POST", "/Users", scimUser("jane@life.example", "J", "D", "jane2@life.example")), 409); st != "uniqueness" {
		t.Fatalf("scimType %q", st)
	}
	// PATCH, as Entra writes it.
	patch := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": []any{
		map[string]any{"op": "Replace", "path": "name.givenName", "value": "Janet"},
		map[string]any{"op": "Add", "path": `phoneNumbers[type eq "mobile"].value`, "value": "+31612345678"},
		map[string]any{"op": "Replace", "value": map[string]any{"displayName": "JD", "name.familyName": "Dough"}},
		map[string]any{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": nil},
	}}
	got := c.call("PATCH", "/Users/"+id, patch).want(200).obj()
	if got["displayName"] != "JD" || got["name"].(map[string]any)["givenName"] != "Janet" || got["name"].(map[string]any)["familyName"] != "Dough" {
		t.Fatalf("patched: %v", got)
	}
	api = s.do("GET", "/v1/users/"+id, nil).want(200).obj()
	if m, _ := api["mobile"].(map[string]any); m == nil || m["e164"] != "+31612345678" {
		t.Fatalf("mobile: %v", api["mobile"])
	}
	// active "False" (a string) disables; If-Match with a stale version is 412.
	ver := got["meta"].(map[string]any)["version"].(string)
	off := map[string]any{"Operations": []any{map[string]any{"op": "Replace", "path": "active", "value": "False"}}}
	c.call("PATCH", "/Users/"+id, off, "If-Match", ver).want(200)
	if s.do("GET", "/v1/users/"+id, nil).want(200).str("status") != "disabled" {
		t.Fatal("active False did not disable")
	}
	scimError(t, c.call("PATCH", "/Users/"+id, off, "If-Match", ver), 412)
	// Remove with a value filter; emails[type eq "work"].value changes the email.
	c.call("PATCH", "/Users/"+id, map[string]any{"Operations": []any{
		map[string]any{"op": "remove", "path": `phoneNumbers[type eq "mobile"]`},
		map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": "janet@life.example"},
		map[string]any{"op": "replace", "path": "userName", "value": "janet"},
	}}).want(200)
	api = s.do("GET", "/v1/users/"+id, nil).want(200).obj()
	if api["mobile"] != nil || api["email"] != "janet@life.example" || api["username"] != "janet" {
		t.Fatalf("after remove: %v", api)
	}
	// PUT replaces: no externalId any more, active again.
	put := scimUser("janet", "Janet", "Doe", "janet@life.example")
	c.call("PUT", "/Users/"+id, put).want(200)
	api = s.do("GET", "/v1/users/"+id, nil).want(200).obj()
	if api["external_id"] != nil || api["status"] != "enabled" || api["last_name"] != "Doe" {
		t.Fatalf("after PUT: %v", api)
	}
	// Every change was an ordinary one, by the SCIM key.
	if v := api["version"].(float64); v < 5 {
		t.Fatalf("version %v", v)
	}
	c.call("DELETE", "/Users/"+id, nil).want(204)
	scimError(t, c.call("GET", "/Users/"+id, nil), 404)
	s.do("GET", "/v1/users/"+id, nil).want(404)
	// The key's own holder: its email change is the verified kind, pending.
	own := c.call("PATCH", "/Users/"+c.admin, map[string]any{"Operations": []any{
		map[string]any{"op": "replace", "path": `emails[type eq "work"].value`, "value": "new-admin@life.example"}}}).want(200).obj()
	if v, _ := primaryEmail(own); v != "admin@life.example" {
		t.Fatalf("the holder's email changed at once: %v", own["emails"])
	}
	scimError(t, c.call("DELETE", "/Users/"+c.admin, nil), 409)
}

func primaryEmail(u map[string]any) (string, bool) {
	for _, e := range u["emails"].([]any) {
		if m := e.(map[string]any); m["primary"] == true {
			return m["value"].(string), true
		}
	}
	return "", false
}

func TestSCIMErrors(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Err")
	for _, tc := range []struct {
		filter, scimType string
	}{
		{`nosuch eq "x"`, "invalidFilter"},
		{`name.nosuch eq "x"`, "invalidFilter"},
		{`userName eq`, "invalidFilter"},
		{`emails[nosuch eq "x"]`, "invalidFilter"},
	} {
		if st := scimError(t, c.call("GET", "/Users?filter="+url.QueryEscape(tc.filter), nil), 400); st != tc.scimType {
			t.Errorf("%s: scimType %q, want %q", tc.filter, st, tc.scimType)
		}
	}
	scimError(t, c.call("POST", "/Users", `{"userName": `), 400)
	if st := scimError(t, c.call("POST", "/Users", map[string]any{"name": map[string]any{"givenName": "X"}, "emails": []any{map[string]any{"value": "x@err.example"}}}), 400); st != "invalidValue" {
		t.Fatalf("no userName: scimType %q", st)
	}
	scimError(t, c.call("GET", "/Users/usr_nonexistent", nil), 404)
	id := c.call("POST", "/Users", scimUser("e@err.example", "E", "", "e@err.example")).want(201).str("id")
	if st := scimError(t, c.call("PATCH", "/Users/"+id, map[string]any{"Operations": []any{map[string]any{"op": "move", "path": "userName"}}}), 400); st != "invalidSyntax" {
		t.Fatalf("bad op: %q", st)
	}
	if st := scimError(t, c.call("PATCH", "/Users/"+id, map[string]any{"Operations": []any{map[string]any{"op": "remove"}}}), 400); st != "noTarget" {
		t.Fatalf("remove without path: %q", st)
	}
	if st := scimError(t, c.call("PATCH", "/Users/"+id, map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "id", "value": "x"}}}), 400); st != "mutability" {
		t.Fatalf("replace id: %q", st)
	}
	c.call("POST", "/Users", scimUser("f@err.example", "F", "", "f@err.example"), "Content-Type", "application/json").want(201)
	scimError(t, c.call("POST", "/Users", scimUser("g@err.example", "G", "", "g@err.example"), "Content-Type", "text/plain"), 415)
}

// TestSCIMFilters covers every operator, and, or, not, grouping and
// value paths, plus sorting, paging and attribute selection.
func TestSCIMFilters(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Filt")
	mk := func(userName, given, family, ext string, active bool) string {
		b := scimUser(userName, given, family, userName)
		b["externalId"], b["active"] = ext, active
		return c.call("POST", "/Users", b).want(201).str("id")
	}
	ann := mk("ann@filt.example", "Ann", "Archer", "e-ann", true)
	ben := mk("ben@filt.example", "Ben", "Baker", "e-ben", false)
	cat := mk("cat@other.example", "Cat", "Carter", "e-cat", true)
	admin := c.admin
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`userName eq "ann@filt.example"`, []string{ann}},
		{`UserName EQ "ANN@filt.example"`, []string{ann}},
		{`externalId eq "e-ben"`, []string{ben}},
		{`externalId eq "E-BEN"`, nil}, // caseExact
		{`userName ne "ann@filt.example" and userName ne "admin@filt.example"`, []string{ben, cat}},
		{`name.familyName co "ar"`, []string{ann, cat}},
		{`userName sw "b"`, []string{ben}},
		{`userName ew "other.example"`, []string{cat}},
		{`externalId pr`, []string{ann, ben, cat}},
		{`name.givenName gt "B"`, []string{ben, cat}},
		{`name.givenName ge "Ben"`, []string{ben, cat}},
		{`name.givenName lt "Ben"`, []string{admin, ann}},
		{`name.givenName le "Ben"`, []string{admin, ann, ben}},
		{`active eq false`, []string{ben}},
		{`active eq true and externalId pr`, []string{ann, cat}},
		{`userName eq "ann@filt.example" or userName eq "cat@other.example"`, []string{ann, cat}},
		{`not (externalId pr)`, []string{admin}},
		{`externalId pr and (name.givenName eq "Ann" or name.givenName eq "Cat")`, []string{ann, cat}},
		{`emails[type eq "work" and value co "filt"]`, []string{admin, ann, ben}},
		{`emails.value ew "other.example"`, []string{cat}},
		{`userName eq "ann@filt.example" and active eq false`, nil},
		{`meta.created gt "2000-01-01T00:00:00Z"`, []string{admin, ann, ben, cat}},
		{`meta.lastModified lt "2000-01-01T00:00:00Z"`, nil},
		// Decided before the SQL: values every user has alike, attributes Roster does not keep.
		{`emails[type eq "home"]`, nil},
		{`meta.resourceType eq "User" and name.familyName sw "c"`, []string{cat}},
		{`title pr or phoneNumbers pr`, nil},
		{`title ne "x" and userName ew "filt.example"`, []string{admin, ann, ben}},
		{`name.formatted eq "ann archer" or displayName co "BAKER"`, []string{ann, ben}},
	} {
		got := c.listIDs(t, "filter="+url.QueryEscape(tc.filter))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.filter, got, tc.want)
		}
	}
	if got := c.listIDs(t, "sortBy=name.givenName&sortOrder=descending"); !slices.Equal(got, []string{cat, ben, ann, admin}) {
		t.Errorf("sorted: %v", got)
	}
	if got := c.listIDs(t, "sortBy=userName&startIndex=2&count=2"); !slices.Equal(got, []string{ann, ben}) {
		t.Errorf("sorted page: %v", got)
	}
	if st := scimError(t, c.call("GET", "/Users?filter="+url.QueryEscape(`meta.version eq "W/\"1\""`), nil), 400); st != "invalidFilter" {
		t.Errorf("meta.version filter: scimType %q", st)
	}
	page := c.call("GET", "/Users?startIndex=2&count=2", nil).want(200).obj()
	if page["totalResults"] != float64(4) || page["startIndex"] != float64(2) || page["itemsPerPage"] != float64(2) {
		t.Errorf("page: %v", page)
	}
	one := c.call("GET", "/Users?filter="+url.QueryEscape(`userName eq "ann@filt.example"`)+"&attributes=userName,name.givenName", nil).want(200).obj()
	r := one["Resources"].([]any)[0].(map[string]any)
	if r["userName"] != "ann@filt.example" || r["emails"] != nil || r["name"].(map[string]any)["givenName"] != "Ann" || r["name"].(map[string]any)["familyName"] != nil || r["id"] != ann {
		t.Errorf("attributes: %v", r)
	}
	ex := c.call("GET", "/Users/"+ann+"?excludedAttributes=emails,meta", nil).want(200).obj()
	if ex["emails"] != nil || ex["meta"] != nil || ex["userName"] == nil {
		t.Errorf("excludedAttributes: %v", ex)
	}
	// POST /Users/.search takes the same parameters in a body.
	found := c.call("POST", "/Users/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": `externalId eq "e-cat"`}).want(200).obj()
	if found["totalResults"] != float64(1) {
		t.Errorf(".search: %v", found)
	}
}

// TestSCIMEntraCycle runs the calls Microsoft Entra ID makes to provision
// a user, in order, and checks that each change is an ordinary Roster
// change whose audit entry names the SCIM key.
func TestSCIMEntraCycle(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Entra")
	keyID := ""
	for _, k := range s.do("GET", "/v1/api-keys?user_id="+c.admin, nil).want(200).obj()["items"].([]any) {
		if m := k.(map[string]any); m["user_id"] == c.admin {
			keyID = m["id"].(string)
		}
	}
	lookup := "filter=" + url.QueryEscape(`userName eq "ada@entra.example"`)
	if ids := c.listIDs(t, lookup); len(ids) != 0 {
		t.Fatalf("lookup before create: %v", ids)
	}
	body := scimUser("ada@entra.example", "Ada", "Lovelace", "ada@entra.example")
	body["externalId"] = "aad-object-id-1"
	body["active"] = "True"
	id := c.call("POST", "/Users", body).want(201).str("id")
	if ids := c.listIDs(t, lookup); !slices.Equal(ids, []string{id}) {
		t.Fatalf("lookup after create: %v", ids)
	}
	if ids := c.listIDs(t, "filter="+url.QueryEscape(`externalId eq "aad-object-id-1"`)); !slices.Equal(ids, []string{id}) {
		t.Fatalf("lookup by externalId: %v", ids)
	}
	ops := func(ops ...map[string]any) map[string]any {
		list := make([]any, len(ops))
		for i, o := range ops {
			list[i] = o
		}
		return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": list}
	}
	c.call("PATCH", "/Users/"+id, ops(
		map[string]any{"op": "Replace", "path": "displayName", "value": "Countess"},
		map[string]any{"op": "Add", "path": "preferredLanguage", "value": "en"},
		map[string]any{"op": "Replace", "path": "timezone", "value": "Europe/London"},
	)).want(200)
	c.call("PATCH", "/Users/"+id, ops(map[string]any{"op": "Replace", "path": "active", "value": "False"})).want(200)
	if st := s.do("GET", "/v1/users/"+id, nil).want(200).str("status"); st != "disabled" {
		t.Fatalf("deactivated: %s", st)
	}
	c.call("PATCH", "/Users/"+id, ops(map[string]any{"op": "Replace", "path": "active", "value": "True"})).want(200)
	api := s.do("GET", "/v1/users/"+id, nil).want(200).obj()
	prefs := api["preferences"].(map[string]any)
	if api["status"] != "enabled" || api["display_name"] != "Countess" || prefs["language"] != "en" || prefs["time_zone"] != "Europe/London" {
		t.Fatalf("after the cycle: %v", api)
	}
	c.call("DELETE", "/Users/"+id, nil).want(204)
	entries, _ := s.audit(s.Key)
	var actions []string
	for _, e := range entries {
		if e.Target.ID != id {
			continue
		}
		actions = append(actions, e.Action)
		if e.Actor["key_id"] != keyID {
			t.Errorf("%s by %v, want the SCIM key %s", e.Action, e.Actor, keyID)
		}
	}
	if len(actions) != 5 {
		t.Fatalf("audit of the cycle: %v, want created, 3 updates, deleted", actions)
	}
}

// TestSCIMGroups: a Group is an organisation below the token's, and its
// members are memberships, added and removed as Entra and Okta do.
func TestSCIMGroups(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Grp")
	other := newSCIMTenant(t, s, "Other")
	ann := c.call("POST", "/Users", scimUser("ann@grp.example", "Ann", "A", "ann@grp.example")).want(201).str("id")
	ben := c.call("POST", "/Users", scimUser("ben@grp.example", "Ben", "B", "ben@grp.example")).want(201).str("id")
	outsider := other.call("POST", "/Users", scimUser("out@other.example", "Out", "O", "out@other.example")).want(201).str("id")

	g := c.call("POST", "/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Sales", "externalId": "grp-1", "members": []any{map[string]any{"value": ann}}}).want(201).obj()
	gid := g["id"].(string)
	org := s.do("GET", "/v1/orgs/"+gid, nil).want(200).obj()
	if org["parent_id"] != c.org || org["name"] != "Sales" || org["external_id"] != "grp-1" {
		t.Fatalf("group's organisation: %v", org)
	}
	members := func() []string {
		var ids []string
		for _, m := range c.call("GET", "/Groups/"+gid, nil).want(200).obj()["members"].([]any) {
			ids = append(ids, m.(map[string]any)["value"].(string))
		}
		slices.Sort(ids)
		return ids
	}
	if got := members(); !slices.Equal(got, []string{ann}) {
		t.Fatalf("members: %v", got)
	}
	// Entra: add in bulk, remove by value filter and by value list.
	patch := func(ops ...any) *response {
		return c.call("PATCH", "/Groups/"+gid, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
	}
	patch(map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": ben}}}).want(200)
	if got, want := members(), []string{ann, ben}; !slices.Equal(got, want) {
		t.Fatalf("after add: %v", got)
	}
	roles := s.do("GET", "/v1/users/"+ben, nil).want(200).obj()["memberships"].([]any)
	if len(roles) != 2 {
		t.Fatalf("ben's memberships: %v", roles)
	}
	patch(map[string]any{"op": "Remove", "path": `members[value eq "` + ann + `"]`}).want(200)
	patch(map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": ben}}}).want(200)
	if got := members(); len(got) != 0 {
		t.Fatalf("after remove: %v", got)
	}
	patch(map[string]any{"op": "Replace", "value": map[string]any{"displayName": "Sales EMEA"}}).want(200)
	if name := s.do("GET", "/v1/orgs/"+gid, nil).want(200).str("name"); name != "Sales EMEA" {
		t.Fatalf("renamed: %s", name)
	}
	// Okta: PUT the whole group.
	c.call("PUT", "/Groups/"+gid, map[string]any{"displayName": "Sales EMEA", "members": []any{map[string]any{"value": ben}}}).want(200)
	if got := members(); !slices.Equal(got, []string{ben}) {
		t.Fatalf("after PUT: %v", got)
	}
	// Beyond the subtree: another tenant's user, another tenant's group, the token's own organisation.
	if st := scimError(t, patch(map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": outsider}}}), 400); st != "invalidValue" {
		t.Fatalf("outsider: %q", st)
	}
	scimError(t, other.call("GET", "/Groups/"+gid, nil), 404)
	scimError(t, c.call("GET", "/Groups/"+c.org, nil), 404)
	list := c.call("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "sales emea"`)+"&excludedAttributes=members", nil).want(200).obj()
	if list["totalResults"] != float64(1) || list["Resources"].([]any)[0].(map[string]any)["members"] != nil {
		t.Fatalf("list: %v", list)
	}
	if other.call("GET", "/Groups", nil).want(200).obj()["totalResults"] != float64(0) {
		t.Fatal("another tenant sees the group")
	}
	c.call("PUT", "/Groups/"+gid, map[string]any{"displayName": "Sales EMEA"}).want(200)
	c.call("DELETE", "/Groups/"+gid, nil).want(204)
	scimError(t, c.call("GET", "/Groups/"+gid, nil), 404)
}

// TestSCIMOktaCycle runs the calls Okta makes: lookup by userName with
// paging parameters, create, read, replace with PUT, deactivate with
// PATCH, group push (create, add, remove), delete.
func TestSCIMOktaCycle(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Okta")
	lookup := "filter=" + url.QueryEscape(`userName eq "grace@okta.example"`) + "&startIndex=1&count=100"
	empty := c.call("GET", "/Users?"+lookup, nil).want(200).obj()
	if empty["totalResults"] != float64(0) || len(empty["Resources"].([]any)) != 0 {
		t.Fatalf("lookup: %v", empty)
	}
	body := scimUser("grace@okta.example", "Grace", "Hopper", "grace@okta.example")
	body["externalId"] = "00u1okta"
	id := c.call("POST", "/Users", body).want(201).str("id")
	got := c.call("GET", "/Users/"+id, nil).want(200).obj()
	got["name"].(map[string]any)["familyName"] = "Murray Hopper"
	got["title"] = "Rear Admiral" // accepted, not stored
	c.call("PUT", "/Users/"+id, got).want(200)
	if ln := s.do("GET", "/v1/users/"+id, nil).want(200).str("last_name"); ln != "Murray Hopper" {
		t.Fatalf("PUT: last_name %q", ln)
	}
	c.call("PATCH", "/Users/"+id, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}}).want(200)
	if st := s.do("GET", "/v1/users/"+id, nil).want(200).str("status"); st != "disabled" {
		t.Fatalf("deactivate: %s", st)
	}
	gid := c.call("POST", "/Groups", map[string]any{"displayName": "Navy", "members": []any{}}).want(201).str("id")
	c.call("PATCH", "/Groups/"+gid, map[string]any{"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id, "display": "grace"}}}}}).want(200)
	c.call("PATCH", "/Groups/"+gid, map[string]any{"Operations": []any{map[string]any{"op": "remove", "path": `members[value eq "` + id + `"]`}}}).want(200)
	c.call("DELETE", "/Groups/"+gid, nil).want(204)
	c.call("DELETE", "/Users/"+id, nil).want(204)
}

// TestSCIMPagingWhileCreating: pages in creation order stay consistent
// while users are created: no user shows twice, none is skipped.
func TestSCIMPagingWhileCreating(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Paging")
	for i := range 5 {
		c.call("POST", "/Users", scimUser(fmt.Sprintf("u%d@paging.example", i), "U", "", fmt.Sprintf("u%d@paging.example", i))).want(201)
	}
	var seen []string
	for start, n := 1, 0; ; start, n = start+2, n+1 {
		ids := c.listIDs(t, fmt.Sprintf("startIndex=%d&count=2", start))
		if len(ids) == 0 {
			break
		}
		for _, id := range ids {
			if slices.Contains(seen, id) {
				t.Fatalf("%s shown twice", id)
			}
			seen = append(seen, id)
		}
		c.call("POST", "/Users", scimUser(fmt.Sprintf("late%d@paging.example", n), "L", "", fmt.Sprintf("late%d@paging.example", n))).want(201)
	}
	all := c.listIDs(t, "count=1000")
	if !slices.Equal(seen, all[:len(seen)]) || len(seen) < 6 {
		t.Fatalf("paged %v, all %v", seen, all)
	}
}

// TestSCIMBulk: operations run in order, bulkId references resolve to
// what an earlier operation created, and failOnErrors stops the rest.
func TestSCIMBulk(t *testing.T) {
	s := startServer(t)
	c := newSCIMTenant(t, s, "Bulk")
	bulk := func(failOnErrors int, ops ...any) []map[string]any {
		t.Helper()
		res := c.call("POST", "/Bulk", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"},
			"failOnErrors": failOnErrors, "Operations": ops}).want(200).obj()
		var out []map[string]any
		for _, o := range res["Operations"].([]any) {
			out = append(out, o.(map[string]any))
		}
		return out
	}
	res := bulk(0,
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "u1", "data": scimUser("one@bulk.example", "One", "", "one@bulk.example")},
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{"displayName": "Team", "members": []any{map[string]any{"value": "bulkId:u1"}}}},
		map[string]any{"method": "PATCH", "path": "/Users/bulkId:u1", "data": map[string]any{"Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Uno"}}}},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "dup", "data": scimUser("one@bulk.example", "Dup", "", "dup@bulk.example")},
		map[string]any{"method": "DELETE", "path": "/Users/bulkId:nothing"},
	)
	var statuses []string
	for _, r := range res {
		statuses = append(statuses, r["status"].(string))
	}
	if !slices.Equal(statuses, []string{"201", "201", "200", "409", "409"}) {
		t.Fatalf("statuses %v: %v", statuses, res)
	}
	uid := res[0]["location"].(string)[strings.LastIndexByte(res[0]["location"].(string), '/')+1:]
	gid := res[1]["location"].(string)[strings.LastIndexByte(res[1]["location"].(string), '/')+1:]
	if s.do("GET", "/v1/users/"+uid, nil).want(200).str("display_name") != "Uno" {
		t.Fatal("the PATCH by bulkId did not reach the user")
	}
	g := c.call("GET", "/Groups/"+gid, nil).want(200).obj()
	if m := g["members"].([]any); len(m) != 1 || m[0].(map[string]any)["value"] != uid {
		t.Fatalf("members by bulkId: %v", g)
	}
	if e := res[3]["response"].(map[string]any); e["scimType"] != "uniqueness" {
		t.Fatalf("error response: %v", e)
	}
	// failOnErrors 1: the first failure stops the request.
	res = bulk(1,
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "a", "data": scimUser("one@bulk.example", "Again", "", "again@bulk.example")},
		map[string]any{"method": "POST", "path": "/Users", "bulkId": "b", "data": scimUser("two@bulk.example", "Two", "", "two@bulk.example")},
	)
	if len(res) != 1 || res[0]["status"] != "409" {
		t.Fatalf("failOnErrors: %v", res)
	}
	if ids := c.listIDs(t, "filter="+url.QueryEscape(`userName eq "two@bulk.example"`)); len(ids) != 0 {
		t.Fatal("an operation after failOnErrors ran")
	}
}
