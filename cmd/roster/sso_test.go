// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// ssoSetup is a reseller tree for SSO links: the reseller R (its admin
// makes the links) with its product app, and a client organisation C
// below it with a user who has a password.
type ssoSetup struct {
	s                    *testServer
	r, c                 string // organisation ids
	admin, user          string // user ids
	adminKey, userKey    string
	app                  testApp
	conf                 *oauth2.Config
	userName, userSecret string
}

func newSSOSetup(t *testing.T, configure ...func(*Config)) *ssoSetup {
	t.Helper()
	s := startServer(t, configure...)
	root := s.do("GET", "/v1/users/me", nil).want(200).obj()["organization_id"].(string)
	x := &ssoSetup{s: s, userName: "sso-user", userSecret: "sso-Secret-1"}
	x.r = s.do("POST", "/v1/orgs", map[string]any{"name": "Reseller", "parent_id": root}).want(201).str("id")
	x.c = s.do("POST", "/v1/orgs", map[string]any{"name": "Client", "parent_id": x.r}).want(201).str("id")
	x.admin = s.createUser(map[string]any{"email": "reseller-admin@example.com", "organization_id": x.r, "roles": []string{"admin"}})["id"].(string)
	x.adminKey = s.do("POST", "/v1/api-keys", map[string]any{"name": "platform", "user_id": x.admin}).want(201).str("key")
	x.user = s.userWithPassword(map[string]any{"email": "sso-user@example.com", "username": x.userName, "organization_id": x.c}, x.userSecret)["id"].(string)
	x.userKey = s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": x.user, "scopes": []string{"users:read"}}).want(201).str("key")
	x.app = s.newApp(t, map[string]any{"organization_id": x.r, "allowed_scopes": []string{"openid", "offline_access", "users:read", "users:write:self"}})
	x.conf = x.app.oauth(s, "openid", "offline_access", "users:read", "users:write:self")
	return x
}

// link makes an SSO link for user as the reseller's admin.
func (x *ssoSetup) link(user string) string {
	x.s.t.Helper()
	res := x.s.doAs(x.adminKey, "POST", "/v1/users/"+user+"/sso-links", map[string]any{"client_id": x.app.ID, "redirect_uri": x.app.Redirect}).want(201)
	if res.Header.Get("Cache-Control") != "no-store" {
		x.s.t.Errorf("an SSO link's answer has Cache-Control %q, want no-store", res.Header.Get("Cache-Control"))
	}
	return res.str("url")
}

// wantErrorPage checks that opening a link answered an error page with
// status and said why, without a redirect or a session.
func wantErrorPage(t *testing.T, page *response, status int, says string) {
	t.Helper()
	if page.Status != status || page.Header.Get("Location") != "" || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, Location %q, Content-Type %q; want an error page %d", page.Status, page.Header.Get("Location"), page.Header.Get("Content-Type"), status)
	}
	if !strings.Contains(string(page.Body), says) {
		t.Errorf("the error page does not say %q: %s", says, page.Body)
	}
	if strings.Contains(page.Header.Get("Set-Cookie"), "roster_session=") {
		t.Error("an error page set a session cookie")
	}
}

// TestSSOLink: a reseller's admin makes a link for a client's user;
// opening it signs the browser in as the user (no password) and sends it
// to the app, whose usual sign-in then finds the session. Tokens of that
// session act as the user with the admin named as impersonator in every
// change; the user sees the session in its list; the link works once.
func TestSSOLink(t *testing.T) {
	x := newSSOSetup(t)
	s := x.s
	before := time.Now()
	res := s.doAs(x.adminKey, "POST", "/v1/users/"+x.user+"/sso-links", map[string]any{"client_id": x.app.ID, "redirect_uri": x.app.Redirect}).want(201).obj()
	link, _ := res["url"].(string)
	if !strings.HasPrefix(link, s.issuer()+"/oauth2/sso?link=rsl_") {
		t.Fatalf("url %q", link)
	}
	exp, err := time.Parse(time.RFC3339Nano, res["expires_at"].(string))
	if err != nil || exp.Before(before.Add(5*time.Minute-time.Second)) || exp.After(time.Now().Add(5*time.Minute+time.Second)) {
		t.Errorf("expires_at %v, want 5 minutes from now", res["expires_at"])
	}

	b := newBrowser(t, s)
	landing := b.get(link)
	if landing.Status != http.StatusFound || landing.Header.Get("Location") != x.app.Redirect {
		t.Fatalf("opening the link: %d to %q, want 302 to %s; %s", landing.Status, landing.Header.Get("Location"), x.app.Redirect, landing.Body)
	}
	if sc := landing.Header.Get("Set-Cookie"); !strings.Contains(sc, "roster_session=") || !strings.Contains(sc, "HttpOnly") {
		t.Errorf("session cookie %q", sc)
	}
	// The app starts its sign-in: no page, a code at once.
	verifier := oauth2.GenerateVerifier()
	cb := b.get(x.conf.AuthCodeURL("st-sso", oauth2.S256ChallengeOption(verifier)))
	if cb.Status != http.StatusFound {
		t.Fatalf("the app's sign-in after the link showed a page: %d %s", cb.Status, cb.Body)
	}
	tok, err := exchange(t, x.conf, cb.location().Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Sub string
		AMR []string
		Act struct{ Sub string }
	}
	idToken, _ := tok.Extra("id_token").(string)
	if parts := strings.Split(idToken, "."); len(parts) != 3 {
		t.Errorf("ID token %q", idToken)
	} else if payload, err := base64.RawURLEncoding.DecodeString(parts[1]); err != nil || json.Unmarshal(payload, &claims) != nil {
		t.Errorf("ID token payload: %v", err)
	}
	if claims.Sub != x.user || !slices.Equal(claims.AMR, []string{"sso"}) || claims.Act.Sub != x.admin {
		t.Errorf("ID token claims %+v: want sub %s, amr [sso], act.sub %s (the admin)", claims, x.user, x.admin)
	}

	// A change through the session's token names the admin.
	me := s.doAs(tok.AccessToken, "PATCH", "/v1/users/me", map[string]any{"first_name": "Changed"}, "Content-Type", "application/merge-patch+json").want(200).obj()
	if me["id"] != x.user {
		t.Fatalf("the session's token acts as %v, want %s", me["id"], x.user)
	}
	events := s.do("GET", "/v1/events?type=user.updated,session.created,sso_link.created", nil).want(200).obj()["items"].([]any)
	seen := map[string]map[string]any{}
	for _, e := range events {
		e := e.(map[string]any)
		seen[e["type"].(string)] = e["actor"].(map[string]any)
	}
	for typ, want := range map[string]map[string]any{
		"user.updated":     {"user_id": x.user, "impersonator_id": x.admin},
		"session.created":  {"user_id": x.user, "impersonator_id": x.admin},
		"sso_link.created": {"user_id": x.admin},
	} {
		got := seen[typ]
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: actor %v, want %s = %v", typ, got, k, v)
			}
		}
		if _, ok := got["impersonator_id"]; ok && want["impersonator_id"] == nil {
			t.Errorf("%s: actor %v names an impersonator", typ, got)
		}
	}
	// A refreshed token is still the admin's session.
	fresh, err := x.conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	s.doAs(fresh.AccessToken, "PATCH", "/v1/users/me", map[string]any{"first_name": "Again"}, "Content-Type", "application/merge-patch+json").want(200)
	entries, _ := s.audit(s.Key)
	last := entries[0]
	for _, e := range entries {
		if e.Action == "user.updated" && e.Target.ID == x.user && e.ID > last.ID {
			last = e
		}
	}
	if last.Actor["impersonator_id"] != x.admin {
		t.Errorf("the refreshed token's change in the audit log: actor %v", last.Actor)
	}
	// An impersonated session makes no further links.
	other := s.createUser(map[string]any{"email": "sso-other@example.com", "organization_id": x.c})["id"].(string)
	s.doAs(fresh.AccessToken, "POST", "/v1/users/"+other+"/sso-links", map[string]any{"client_id": x.app.ID, "redirect_uri": x.app.Redirect}).problem(403)

	// The user sees the session, and who opened it.
	list := s.doAs(x.userKey, "GET", "/v1/users/me/sessions", nil).want(200).obj()["items"].([]any)
	if len(list) != 1 {
		t.Fatalf("%d sessions, want 1", len(list))
	}
	ses := list[0].(map[string]any)
	if ses["impersonator_id"] != x.admin || !slices.Equal(toStrings(ses["amr"]), []string{"sso"}) {
		t.Errorf("the SSO session in the user's list: %v", ses)
	}

	// The secret is in no log line (the access log writes the path, not
	// the query).
	logs := s.logs.String()
	if secret := strings.TrimPrefix(link, s.issuer()+"/oauth2/sso?link="); !strings.Contains(logs, "/oauth2/sso") || strings.Contains(logs, secret) {
		t.Error("the opening of the SSO link is not in the access log, or its secret is")
	}

	// Once only: again, from another browser, is an error page.
	wantErrorPage(t, newBrowser(t, s).get(link), http.StatusGone, "already used")
	wantErrorPage(t, b.get("/oauth2/sso?link=rsl_unknown"), http.StatusBadRequest, "not valid")
	wantErrorPage(t, b.get("/oauth2/sso"), http.StatusBadRequest, "not valid")

	// Ending the session (the user's own call) revokes its tokens.
	s.do("DELETE", "/v1/users/"+x.user+"/sessions/"+ses["id"].(string), nil).want(204)
	s.doAs(fresh.AccessToken, "GET", "/v1/users/me", nil).problem(401)
}

// TestSSOLinkRefusals: what a link may be made for, and links that no
// longer sign anyone in when opened.
func TestSSOLinkRefusals(t *testing.T) {
	x := newSSOSetup(t)
	s := x.s
	body := func(client, redirect string) map[string]any {
		return map[string]any{"client_id": client, "redirect_uri": redirect}
	}
	path := "/v1/users/" + x.user + "/sso-links"
	// The app: a sign-in client at or above the user's organisation, and
	// one of its redirect URIs exactly.
	root := s.do("GET", "/v1/users/me", nil).want(200).obj()["organization_id"].(string)
	sibling := s.do("POST", "/v1/orgs", map[string]any{"name": "Sibling", "parent_id": root}).want(201).str("id")
	elsewhere := s.newApp(t, map[string]any{"organization_id": sibling})
	service := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "sync", "scopes": []string{"users:read"}, "organization_id": x.r}).want(201).str("client_id")
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{body(elsewhere.ID, elsewhere.Redirect), "body.client_id"},
		{body("cli_01JBV3X3Q1C6SSE2Q0RKX0ABCD", x.app.Redirect), "body.client_id"},
		{body("not-a-client", x.app.Redirect), "body.client_id"},
		{body(service, x.app.Redirect), "body.client_id"},
		{body(x.app.ID, x.app.Redirect+"/"), "body.redirect_uri"},
		{body(x.app.ID, ""), "body.redirect_uri"},
	} {
		p := s.doAs(x.adminKey, "POST", path, c.body).problem(422)
		if f := fieldErrors(p); !slices.Contains(f, c.field) {
			t.Errorf("%v: errors at %v, want %s", c.body, f, c.field)
		}
	}
	s.doAs(x.adminKey, "POST", path, map[string]any{"client_id": x.app.ID}).problem(422)
	s.doAs(x.adminKey, "POST", path, "{").problem(400)
	// An app of the user's own organisation works too.
	own := s.newApp(t, map[string]any{"organization_id": x.c})
	s.doAs(x.adminKey, "POST", path, body(own.ID, own.Redirect)).want(201)
	// Not for oneself; and a key without users:write:all may not.
	s.doAs(x.adminKey, "POST", "/v1/users/me/sso-links", body(x.app.ID, x.app.Redirect)).problem(403)
	narrow := s.do("POST", "/v1/api-keys", map[string]any{"name": "narrow", "user_id": x.admin, "scopes": []string{"users:read", "users:write:members"}}).want(201).str("key")
	s.doAs(narrow, "POST", path, body(x.app.ID, x.app.Redirect)).problem(403)

	// Disabled user: no link; disabled after the link: an error page.
	link := x.link(x.user)
	s.do("PATCH", "/v1/users/"+x.user, map[string]any{"status": "disabled"}, "Content-Type", "application/merge-patch+json").want(200)
	s.doAs(x.adminKey, "POST", path, body(x.app.ID, x.app.Redirect)).problem(409)
	wantErrorPage(t, newBrowser(t, s).get(link), http.StatusForbidden, "can no longer sign anyone in")
	s.do("PATCH", "/v1/users/"+x.user, map[string]any{"status": "enabled"}, "Content-Type", "application/merge-patch+json").want(200)
	// Its organisation disabled.
	link = x.link(x.user)
	s.do("PATCH", "/v1/orgs/"+x.c, map[string]any{"status": "disabled"}, "Content-Type", "application/merge-patch+json").want(200)
	wantErrorPage(t, newBrowser(t, s).get(link), http.StatusForbidden, "can no longer sign anyone in")
	s.do("PATCH", "/v1/orgs/"+x.c, map[string]any{"status": "enabled"}, "Content-Type", "application/merge-patch+json").want(200)
	// Its maker no longer an admin.
	link = x.link(x.user)
	s.do("PATCH", "/v1/users/"+x.admin, map[string]any{"roles": []string{"member"}}, "Content-Type", "application/merge-patch+json").want(200)
	wantErrorPage(t, newBrowser(t, s).get(link), http.StatusForbidden, "can no longer sign anyone in")
	// The refused link was not used up: with the maker an admin again it
	// works.
	s.do("PATCH", "/v1/users/"+x.admin, map[string]any{"roles": []string{"admin"}}, "Content-Type", "application/merge-patch+json").want(200)
	if page := newBrowser(t, s).get(link); page.Status != http.StatusFound {
		t.Errorf("the link after its maker is an admin again: %d", page.Status)
	}
	if n := len(s.doAs(x.userKey, "GET", "/v1/users/me/sessions", nil).want(200).obj()["items"].([]any)); n != 1 {
		t.Errorf("%d sessions after the refused openings and one good one, want 1", n)
	}
}

// TestSSOLinkExpires: a link opened after its lifetime is an error page.
func TestSSOLinkExpires(t *testing.T) {
	x := newSSOSetup(t, func(c *Config) { c.Security.SSOLinkTTL = time.Second })
	link := x.link(x.user)
	time.Sleep(1100 * time.Millisecond)
	wantErrorPage(t, newBrowser(t, x.s).get(link), http.StatusGone, "expired")
	if n := len(x.s.doAs(x.userKey, "GET", "/v1/users/me/sessions", nil).want(200).obj()["items"].([]any)); n != 0 {
		t.Errorf("%d sessions after an expired link, want none", n)
	}
}

// TestSSOLinkOpenedConcurrently: of many browsers opening one link at
// once, one is signed in.
func TestSSOLinkOpenedConcurrently(t *testing.T) {
	x := newSSOSetup(t)
	link := x.link(x.user)
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		b := newBrowser(t, x.s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = b.get(link).Status
		}()
	}
	wg.Wait()
	slices.Sort(statuses)
	want := append([]int{http.StatusFound}, slices.Repeat([]int{http.StatusGone}, n-1)...)
	if !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want one 302 and the rest 410", statuses)
	}
	if got := len(x.s.doAs(x.userKey, "GET", "/v1/users/me/sessions", nil).want(200).obj()["items"].([]any)); got != 1 {
		t.Errorf("%d sessions, want 1", got)
	}
}
