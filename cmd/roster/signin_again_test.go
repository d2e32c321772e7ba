// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/url"
	"testing"

	"golang.org/x/oauth2"
)

// TestAuthorizationResponseIssuer: RFC 9207. Discovery says so, and every
// authorization response — a code, an error of the request, an error of
// a page — carries iss beside state.
func TestAuthorizationResponseIssuer(t *testing.T) {
	s := startServer(t)
	if meta := s.doAs("", "GET", "/.well-known/openid-configuration", nil).want(200).obj(); meta["authorization_response_iss_parameter_supported"] != true {
		t.Errorf("authorization_response_iss_parameter_supported = %v", meta["authorization_response_iss_parameter_supported"])
	}
	s.userWithPassword(map[string]any{"email": "iss@example.com"}, "iss-Secret-1")
	conf := s.newApp(t, map[string]any{"first_party": false}).oauth(s, "openid")
	b := newBrowser(t, s)
	v := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
	wantIss := func(what string, q url.Values, key, val string) {
		t.Helper()
		if q.Get(key) != val || q.Get("iss") != s.issuer() || q.Get("state") != "st" {
			t.Errorf("%s: %v, want %s=%s, state and iss=%s", what, q, key, val, s.issuer())
		}
	}
	wantIss("prompt=none without a session", b.get(conf.AuthCodeURL("st", v, oauth2.SetAuthURLParam("prompt", "none"))).location().Query(), "error", "login_required")
	consent := b.signInPage(b.get(conf.AuthCodeURL("st", v)), "iss@example.com", "iss-Secret-1").want(200)
	wantIss("consent denied", b.submit(consent, url.Values{"consent": {"deny"}}).location().Query(), "error", "access_denied")
	consent = b.get(conf.AuthCodeURL("st", v)).want(200)
	q := b.submit(consent, url.Values{"consent": {"allow"}}).location().Query()
	wantIss("a code", q, "code", q.Get("code"))
	if q.Get("code") == "" {
		t.Error("no code")
	}
}

// TestSignInAgainEndsEarlierSession: a browser that signs in again — as
// another user with prompt=login, or through an SSO link — ends the
// session it had, with its tokens, as a sign-out would (session.revoked,
// saying why); only the new session is alive.
func TestSignInAgainEndsEarlierSession(t *testing.T) {
	x := newSSOSetup(t)
	s := x.s
	other := s.userWithPassword(map[string]any{"email": "other@example.com", "organization_id": x.c}, "other-Secret-1")["id"].(string)
	b := newBrowser(t, s)
	q, verifier := b.authorize(x.conf, x.userName, x.userSecret)
	tok, err := exchange(t, x.conf, q.Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	first := s.sessionIDs(s.Key, x.user, 10)
	if len(first) != 1 {
		t.Fatalf("sessions after the first sign-in: %v", first)
	}

	// Another user, prompt=login, in the same browser.
	if q, _ := b.authorize(x.conf, "other@example.com", "other-Secret-1", oauth2.SetAuthURLParam("prompt", "login")); q.Get("code") == "" {
		t.Fatalf("the second sign-in: %v", q)
	}
	if left := s.sessionIDs(s.Key, x.user, 10); len(left) != 0 {
		t.Errorf("the earlier session is still alive: %v", left)
	}
	refreshFails(t, x.conf, tok.RefreshToken, "a token of the earlier session")
	ev := s.do("GET", "/v1/events?type=session.revoked", nil).want(200).obj()["items"].([]any)
	if len(ev) != 1 || ev[0].(map[string]any)["resource"].(map[string]any)["id"] != first[0]["id"] || ev[0].(map[string]any)["reason"] != "signed in again in the same browser" {
		t.Errorf("session.revoked events: %v", ev)
	}

	// An SSO link opened in that browser ends the other user's session.
	b.get(x.link(x.user)).location()
	if left := s.sessionIDs(s.Key, other, 10); len(left) != 0 {
		t.Errorf("the session before the SSO link is still alive: %v", left)
	}
	if now := s.sessionIDs(s.Key, x.user, 10); len(now) != 1 {
		t.Errorf("sessions after the SSO link: %v", now)
	}
}
