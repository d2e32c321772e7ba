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
