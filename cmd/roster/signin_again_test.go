// SPDX-License-Identifier: Apache-2.0

package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

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

// TestImportedHashUpgradedWithSecondFactor: a user imported with a bcrypt
// hash and TOTP enrolled signs in through the pages in two steps; the
// right password (not a wrong one) replaces the hash with argon2id, and
// the new hash signs in.
func TestImportedHashUpgradedWithSecondFactor(t *testing.T) {
	s := startServer(t)
	const email, pw = "two-step@import.example", "Imported-Secret-42"
	line := s.importAs(s.Key, "", map[string]any{"first_name": "Imported", "email": email, "password_hash": foreignHashes(t, pw)["bcrypt-2b"]})[1]
	key := s.do("POST", "/v1/api-keys", map[string]any{"name": "self", "user_id": line.ID}).want(201).str("key")
	secret, _ := s.enrolTOTP(t, key)
	imported := s.storedHash(line.ID)
	conf := s.newApp(t, nil).oauth(s, "openid")
	b := newBrowser(t, s)
	v := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
	page := b.get(conf.AuthCodeURL("st", v))
	b.signInPage(page, email, pw+"-wrong").want(400)
	if h := s.storedHash(line.ID); h != imported {
		t.Fatalf("a wrong password changed the hash to %.20q…", h)
	}
	totp := b.signInPage(page, email, pw).want(200)
	if !strings.Contains(string(totp.Body), `name="totp"`) {
		t.Fatalf("not the second-factor page: %s", totp.Body)
	}
	if h := s.storedHash(line.ID); !strings.HasPrefix(h, "$argon2id$") {
		t.Errorf("after the right password the stored hash is %.20q…, not argon2id", h)
	}
	if q := b.submit(totp, url.Values{"totp": {totpCode(t, secret, time.Now().Add(30*time.Second))}}).location().Query(); q.Get("code") == "" {
		t.Fatalf("the second factor: %v", q)
	}
	// The upgraded hash takes the same password.
	again := b.signInPage(b.get(conf.AuthCodeURL("st", v, oauth2.SetAuthURLParam("prompt", "login"))), email, pw).want(200)
	if !strings.Contains(string(again.Body), `name="totp"`) {
		t.Errorf("the upgraded hash refused the password: %s", again.Body)
	}
}

// TestSilentRenew: what relying parties send to renew without a page.
// prompt=none answers a code from a live session, login_required when it
// is older than max_age (and without one: TestAuthorizationResponseIssuer),
// never a page.
func TestSilentRenew(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "silent@example.com"}, "silent-Secret-1")
	conf := s.newApp(t, nil).oauth(s, "openid")
	b := newBrowser(t, s)
	none := oauth2.SetAuthURLParam("prompt", "none")
	if q, _ := b.authorize(conf, "silent@example.com", "silent-Secret-1"); q.Get("code") == "" {
		t.Fatalf("the sign-in: %v", q)
	}
	verifier := oauth2.GenerateVerifier()
	q := b.get(conf.AuthCodeURL("st", none, oauth2.S256ChallengeOption(verifier))).location().Query()
	if _, err := exchange(t, conf, q.Get("code"), verifier); err != nil {
		t.Fatalf("prompt=none in a session: %v (%v)", err, q)
	}
	if q := b.get(conf.AuthCodeURL("st", none, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("max_age", "0"))).location().Query(); q.Get("error") != "login_required" {
		t.Errorf("prompt=none past max_age: %v", q)
	}
}

// TestSignInAgainSameUserKeepsTokens: the same user signing in again in a
// browser (prompt=login) replaces the earlier session, whose apps stay
// signed in: its refresh token and a code not yet exchanged still work,
// now in the new session, whose end revokes them. An SSO link for the
// user is not the same sign-in: it ends the user's own session as before.
func TestSignInAgainSameUserKeepsTokens(t *testing.T) {
	x := newSSOSetup(t)
	s := x.s
	b := newBrowser(t, s)
	q, verifier := b.authorize(x.conf, x.userName, x.userSecret)
	tok, err := exchange(t, x.conf, q.Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	held, heldVerifier := b.authorize(x.conf, "", "") // from the live session, exchanged later
	first := s.sessionIDs(s.Key, x.user, 10)

	if q, _ := b.authorize(x.conf, x.userName, x.userSecret, oauth2.SetAuthURLParam("prompt", "login")); q.Get("code") == "" {
		t.Fatalf("the second sign-in: %v", q)
	}
	now := s.sessionIDs(s.Key, x.user, 10)
	if len(first) != 1 || len(now) != 1 || now[0]["id"] == first[0]["id"] {
		t.Fatalf("sessions before %v and after %v the second sign-in: want one each, not the same", first, now)
	}
	ev := s.do("GET", "/v1/events?type=session.revoked", nil).want(200).obj()["items"].([]any)
	if len(ev) != 1 || ev[0].(map[string]any)["resource"].(map[string]any)["id"] != first[0]["id"] || ev[0].(map[string]any)["reason"] != "replaced by a new sign-in in the same browser" {
		t.Errorf("session.revoked events: %v", ev)
	}
	renewed, err := x.conf.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("the refresh token of the earlier session: %v", err)
	}
	late, err := exchange(t, x.conf, held.Get("code"), heldVerifier)
	if err != nil {
		t.Fatalf("a code of the earlier session: %v", err)
	}

	s.do("DELETE", "/v1/users/"+x.user+"/sessions/"+now[0]["id"].(string), nil).want(204)
	refreshFails(t, x.conf, renewed.RefreshToken, "the renewed token after its new session ended")
	refreshFails(t, x.conf, late.RefreshToken, "the late code's token after its new session ended")

	// An admin's SSO link for the same user does not take over the user's
	// own tokens: they would act on the admin's word.
	q, verifier = b.authorize(x.conf, x.userName, x.userSecret)
	own, err := exchange(t, x.conf, q.Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	b.get(x.link(x.user)).location()
	refreshFails(t, x.conf, own.RefreshToken, "the user's own token after an SSO link in the same browser")
}
