// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/rosterhq/roster/service"
)

// The console (PRODUCT.md section 10): its files as the binary serves
// them, and its sign-in as the first-party public client, driven over
// HTTP the way its page does it (tools/browser drives the page itself).

// consoleScopes are the scopes the page asks for (auth.js SCOPES).
var consoleScopes = []string{"openid", "profile", "email", "offline_access", "users:read", "users:write:all", "orgs:read", "orgs:write",
	"webhooks:read", "webhooks:write", "events:read", "audit:read", "keys:write"}

func TestConsoleAssets(t *testing.T) {
	s := startServer(t)
	b := newBrowser(t, s)
	// The files straight from the server: the OpenAPI document (and so
	// Prism, with ROSTER_TEST_PRISM) knows them as one HTML answer, while
	// scripts and styles answer their own types.
	direct := s.issuer()
	if loc := b.get("/console").location(); loc.String() != "console/" {
		t.Errorf("/console redirects to %q, want console/ (relative, for a public URL with a path prefix)", loc)
	}
	page := b.get(direct + "/console/").want(200)
	for _, path := range []string{"/console/", "/console/callback", "/console/app.js", "/console/app.css"} {
		r := b.get(direct + path).want(200)
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "connect-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-") {
			t.Errorf("%s: Content-Security-Policy %q allows unsafe code", path, csp)
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s %q, want %q", path, k, h.Get(k), v)
			}
		}
		// Revalidation by ETag costs a 304.
		req, _ := http.NewRequest("GET", direct+path, nil)
		req.Header.Set("If-None-Match", h.Get("ETag"))
		if again := b.send(req); h.Get("ETag") == "" || again.Status != http.StatusNotModified {
			t.Errorf("%s: ETag %q, revalidation %d", path, h.Get("ETag"), again.Status)
		}
	}
	for path, typ := range map[string]string{"/console/": "text/html", "/console/app.js": "text/javascript", "/console/app.css": "text/css"} {
		if ct := b.get(direct + path).Header.Get("Content-Type"); !strings.HasPrefix(ct, typ) {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
	}

	// No inline script (the CSP would refuse it anyway), the labels the
	// product pins, bound to their inputs.
	body := string(page.Body)
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1) {
		if !strings.Contains(tag, `src="`) {
			t.Errorf("inline script: %s", tag)
		}
	}
	for _, want := range []string{`<html lang="en">`, `<label for="q">Search users</label>`, `id="q"`, `name="viewport"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the console page lacks %s", want)
		}
	}
	// Every module the page imports is served, and the page's client is
	// the one the server ensures.
	js := string(b.get(direct + "/console/app.js").Body)
	for _, m := range regexp.MustCompile(`from "\./([a-z]+\.js)"`).FindAllStringSubmatch(js+string(b.get(direct+"/console/user.js").Body), -1) {
		b.get(direct + "/console/" + m[1]).want(200)
	}
	if auth := string(b.get(direct + "/console/auth.js").Body); !strings.Contains(auth, `"`+service.ConsoleClientID+`"`) {
		t.Errorf("auth.js does not sign in as %s", service.ConsoleClientID)
	}
	for _, v := range []string{"First name", "Last name", "Email", "Save"} {
		if !strings.Contains(string(b.get(direct+"/console/user.js").Body)+body, v) {
			t.Errorf("the user page has no %q", v)
		}
	}

	s.doAs("", "GET", "/console/nothing.js", nil).problem(404)
	s.doAs("", "GET", "/console/index.html/x", nil).problem(404)
}

func TestConsoleSignIn(t *testing.T) {
	s := startServer(t)
	admin := s.userWithPassword(map[string]any{"email": "op@example.com", "roles": []string{"admin"}}, "op-Secret-1")
	target := s.createUser(map[string]any{"email": "ann@example.com", "first_name": "Ann"})

	// No console client until the console's first sign-in: a start
	// writes nothing.
	s.do("GET", "/v1/oauth-clients/"+service.ConsoleClientID, nil).problem(404)
	conf := &oauth2.Config{ClientID: service.ConsoleClientID, RedirectURL: s.issuer() + "/console/callback", Scopes: consoleScopes,
		Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/console/signin", TokenURL: s.URL + "/v1/auth/token", AuthStyle: oauth2.AuthStyleInParams}}
	b := newBrowser(t, s)
	verifier := oauth2.GenerateVerifier()
	start := conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier))
	on := b.get(start).location()
	if on.Path != "../oauth2/authorize" || on.RawQuery != strings.SplitN(start, "?", 2)[1] {
		t.Fatalf("/console/signin sends the browser to %s", on)
	}
	authorize := s.URL + "/oauth2/authorize?" + on.RawQuery

	// Then the client exists, in the root organisation, public and
	// first-party, sent back to this server's /console/callback.
	cl := s.do("GET", "/v1/oauth-clients/"+service.ConsoleClientID, nil).want(200).obj()
	if cl["type"] != "public" || cl["first_party"] != true || cl["organization_id"] != admin["organization_id"] {
		t.Fatalf("the console's client: %v", cl)
	}
	if ru := cl["redirect_uris"].([]any); len(ru) != 1 || ru[0] != s.issuer()+"/console/callback" {
		t.Fatalf("redirect_uris %v", ru)
	}

	// Without PKCE a public client is refused.
	if q := b.get(strings.Replace(authorize, "code_challenge", "x", -1)).location().Query(); q.Get("error") != "invalid_request" {
		t.Errorf("no PKCE: %v", q)
	}
	// First-party: no consent page between the password and the code.
	q := b.signInPage(b.get(authorize).want(200), "op@example.com", "op-Secret-1").location().Query()
	if q.Get("code") == "" || q.Get("state") != "st-1" {
		t.Fatalf("callback %v", q)
	}
	tok, err := exchange(t, conf, q.Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Fatalf("tokens: %+v", tok)
	}

	// What the console then does, with the user's token only: search,
	// read, save with If-Match, and a stale version refused.
	found := s.doAs(tok.AccessToken, "GET", "/v1/users?q=ann&limit=25", nil).want(200).obj()["items"].([]any)
	if len(found) != 1 || found[0].(map[string]any)["id"] != target["id"] {
		t.Fatalf("search: %v", found)
	}
	path := "/v1/users/" + target["id"].(string)
	etag := s.doAs(tok.AccessToken, "GET", path, nil).want(200).Header.Get("ETag")
	mp := "application/merge-patch+json"
	s.doAs(tok.AccessToken, "PATCH", path, `{"first_name":"Anne"}`, "Content-Type", mp, "If-Match", etag).want(200)
	s.doAs(tok.AccessToken, "PATCH", path, `{"first_name":"Annie"}`, "Content-Type", mp, "If-Match", etag).problem(412)
	if fe := fieldErrors(s.doAs(tok.AccessToken, "PATCH", path, `{"first_name":""}`, "Content-Type", mp).problem(422)); !slices.Contains(fe, "body.first_name") {
		t.Errorf("an empty first name: errors at %v", fe)
	}
	// The console manages keys and clients as its user may (keys:write,
	// which no app may ask for), within the user's roles.
	s.doAs(tok.AccessToken, "POST", "/v1/api-keys", map[string]any{"name": "k", "scopes": []string{"users:read"}}).want(201)
	s.doAs(tok.AccessToken, "POST", "/v1/api-keys", map[string]any{"name": "k", "scopes": []string{"scim"}}).problem(403)
	// A key asked without scopes gets the token's API scopes, not its
	// OpenID ones.
	if sc := s.doAs(tok.AccessToken, "POST", "/v1/api-keys", map[string]any{"name": "k"}).want(201).obj()["scopes"].([]any); len(sc) != len(consoleScopes)-4 || slices.Contains(sc, any("openid")) {
		t.Errorf("a key made without scopes by the console: %v", sc)
	}
	s.doAs(tok.AccessToken, "GET", "/v1/oauth-clients/"+service.ConsoleClientID, nil).want(200)
	// Another app of the same user's cannot ask for it.
	other := s.newApp(t, nil)
	if q := b.get(other.oauth(s, "openid", "keys:write").AuthCodeURL("st-2", oauth2.S256ChallengeOption(verifier))).location().Query(); q.Get("error") != "invalid_scope" {
		t.Errorf("an app asking for keys:write: %v", q)
	}

	// Refresh with client_id only, as a public client does.
	r := s.form("/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {service.ConsoleClientID}})
	fresh := oauthJSON(t, r)
	if r.Status != 200 || fresh["access_token"] == nil {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}

	// Sign out: back to the console, the session and its tokens ended.
	out := b.get("/oauth2/logout?" + url.Values{"client_id": {service.ConsoleClientID}, "id_token_hint": {tok.Extra("id_token").(string)},
		"post_logout_redirect_uri": {s.issuer() + "/console/"}}.Encode())
	if loc := out.location().String(); loc != s.issuer()+"/console/" {
		t.Fatalf("after logout: %s", loc)
	}
	s.doAs(fresh["access_token"].(string), "GET", "/v1/users/me", nil).problem(401)
	if q := b.get(authorize + "&prompt=none").location().Query(); q.Get("error") != "login_required" {
		t.Errorf("after logout the session still signs in: %v", q)
	}
}

// TestConsoleImpersonatedNoKeys: a console opened through an SSO link
// acts as the user but cannot make API keys or OAuth clients in the
// user's name: they would outlive the link.
func TestConsoleImpersonatedNoKeys(t *testing.T) {
	s := startServer(t)
	target := s.createUser(map[string]any{"email": "ann@example.com", "roles": []string{"admin"}})["id"].(string)
	conf := &oauth2.Config{ClientID: service.ConsoleClientID, RedirectURL: s.issuer() + "/console/callback", Scopes: consoleScopes,
		Endpoint: oauth2.Endpoint{AuthURL: s.URL + "/console/signin", TokenURL: s.URL + "/v1/auth/token", AuthStyle: oauth2.AuthStyleInParams}}
	b := newBrowser(t, s)
	b.get("/console/signin").location() // makes the console's client
	link := s.do("POST", "/v1/users/"+target+"/sso-links", map[string]any{"client_id": service.ConsoleClientID, "redirect_uri": conf.RedirectURL}).want(201).str("url")
	b.get(link).location()
	verifier := oauth2.GenerateVerifier()
	on := b.get(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))).location()
	code := b.get(s.URL + "/oauth2/authorize?" + on.RawQuery).location().Query().Get("code")
	tok, err := exchange(t, conf, code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	s.doAs(tok.AccessToken, "GET", "/v1/users/me", nil).want(200)
	for path, body := range map[string]any{"/v1/api-keys": map[string]any{"name": "k", "scopes": []string{"users:read"}},
		"/v1/oauth-clients": map[string]any{"name": "c", "scopes": []string{"users:read"}}} {
		if p := s.doAs(tok.AccessToken, "POST", path, body).problem(403); !strings.Contains(p["detail"].(string), "SSO link") {
			t.Errorf("%s: refused for another reason: %v", path, p["detail"])
		}
	}
}

// TestConsoleClientKept: the console's client cannot be changed, rotated
// or deleted through the API (the server repairs one left pointing at an
// old public URL at the console's next sign-in), and one as wanted is not
// written again.
func TestConsoleClientKept(t *testing.T) {
	s := startServer(t)
	b := newBrowser(t, s)
	b.get("/console/signin").location()
	path := "/v1/oauth-clients/" + service.ConsoleClientID
	// An admin cannot point the console's client elsewhere: it may ask for
	// keys:write and skips consent, so its codes must only ever come home.
	s.do("PATCH", path, map[string]any{"redirect_uris": []string{"https://elsewhere.example/cb"}, "first_party": false},
		"Content-Type", "application/merge-patch+json").want(403)
	s.do("POST", path+"/rotate-secret", nil).want(403)
	s.do("DELETE", path, nil).want(403)
	b.get("/console/signin").location()
	cl := s.do("GET", path, nil).want(200).obj()
	if ru := cl["redirect_uris"].([]any); cl["first_party"] != true || len(ru) != 1 || ru[0] != s.issuer()+"/console/callback" {
		t.Fatalf("changed: %v", cl)
	}
	b.get("/console/signin").location()
	if again := s.do("GET", path, nil).want(200).obj(); again["version"] != cl["version"] {
		t.Errorf("a console client as wanted was written again: version %v → %v", cl["version"], again["version"])
	}
}

// TestConsoleNeedsHTTPS: a public URL that cannot take the console's
// callback (http, not loopback) gets a page saying what to change.
func TestConsoleNeedsHTTPS(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Security.PublicURL = "http://roster.example" })
	r := newBrowser(t, s).get("/console/signin")
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "--public-url") || r.Header.Get("Location") != "" {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}
