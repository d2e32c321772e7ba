// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/base64"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// introspector asks the introspection endpoint as one caller.
type introspector func(token string) *response

// asClient introspects as a confidential client: by HTTP Basic, or with
// form fields (client_secret_post).
func (s *testServer) asClient(id, secret string, basic bool) introspector {
	return func(token string) *response {
		s.t.Helper()
		vals := url.Values{"token": {token}}
		if !basic {
			vals.Set("client_id", id)
			vals.Set("client_secret", secret)
			return s.form("/oauth2/introspect", vals)
		}
		return s.form("/oauth2/introspect", vals, "Authorization", "Basic "+basicAuth(id, secret))
	}
}

// asBearer introspects with an API key or access token.
func (s *testServer) asBearer(key string) introspector {
	return func(token string) *response {
		s.t.Helper()
		return s.form("/oauth2/introspect", url.Values{"token": {token}, "token_type_hint": {"access_token"}}, "Authorization", "Bearer "+key)
	}
}

// wantActive checks whether a token introspects active and returns the answer.
func wantActive(t *testing.T, ask introspector, token string, active bool) map[string]any {
	t.Helper()
	got := ask(token).want(200).obj()
	if got["active"] != active {
		t.Errorf("introspect: %v, want active %v", got, active)
	}
	if !active && len(got) != 1 {
		t.Errorf("an inactive token's answer says more than active: %v", got)
	}
	return got
}

// TestIntrospection (RFC 7662): confidential clients learn about the
// tokens of their organisation's subtree, API keys with keys:write about
// those of the organisations their user administers; anything else is
// {"active": false}.
func TestIntrospection(t *testing.T) {
	s := startServer(t)
	a := s.do("POST", "/v1/orgs", map[string]any{"name": "Alpha"}).want(201).obj()
	below := s.do("POST", "/v1/orgs", map[string]any{"name": "Alpha Sub", "parent_id": a["id"]}).want(201).obj()
	b := s.do("POST", "/v1/orgs", map[string]any{"name": "Beta"}).want(201).obj()
	ua := s.userWithPassword(map[string]any{"email": "ia@example.com", "organization_id": below["id"]}, "ia-Secret-77")
	s.userWithPassword(map[string]any{"email": "ib@example.com", "organization_id": b["id"]}, "ib-Secret-77")
	cl := s.do("POST", "/v1/oauth-clients", map[string]any{"name": "api", "scopes": []string{"users:read"}, "organization_id": a["id"]}).want(201).obj()
	id, secret := cl["client_id"].(string), cl["client_secret"].(string)
	tokA := s.signInScoped("ia@example.com", "ia-Secret-77", "openid", "users:read")
	tokB, err := s.signIn("ib@example.com", "ib-Secret-77")
	if err != nil {
		t.Fatal(err)
	}

	for _, basic := range []bool{true, false} {
		ask := s.asClient(id, secret, basic)
		got := wantActive(t, ask, tokA.AccessToken, true)
		exp, iat := int64(got["exp"].(float64)), int64(got["iat"].(float64))
		if got["sub"] != ua["id"] || got["username"] != "ia@example.com" || got["scope"] != "openid users:read" || got["token_type"] != "Bearer" ||
			got["iss"] != s.issuer() || got["org_id"] != below["id"] || exp-iat != int64(s.Main.Config.Security.AccessTokenTTL/time.Second) || time.Unix(iat, 0).After(time.Now()) {
			t.Errorf("introspect an access token (basic %v): %v", basic, got)
		}
		if got := wantActive(t, ask, tokA.RefreshToken, true); got["token_type"] != "refresh_token" || got["sub"] != ua["id"] {
			t.Errorf("introspect a refresh token: %v", got)
		}
		wantActive(t, ask, tokB.AccessToken, false) // another organisation's
		wantActive(t, ask, "rat_unknown", false)
		wantActive(t, ask, s.Key, false) // an API key is not an OAuth token
	}
	// The client's own token.
	cc := &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: s.URL + "/v1/auth/token", AuthStyle: oauth2.AuthStyleInHeader}
	own, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := wantActive(t, s.asClient(id, secret, true), own.AccessToken, true); got["sub"] != id || got["client_id"] != id || got["scope"] != "users:read" {
		t.Errorf("introspect a client's token: %v", got)
	}
	// The owner's key (keys:write, admin of the root) learns about every
	// token; a key without keys:write is refused; a user learns about its
	// own tokens only.
	wantActive(t, s.asBearer(s.Key), tokA.AccessToken, true)
	wantActive(t, s.asBearer(s.Key), tokB.AccessToken, true)
	narrow := s.do("POST", "/v1/api-keys", map[string]any{"name": "narrow", "scopes": []string{"users:read"}}).want(201).str("key")
	wantChallenge(t, s.asBearer(narrow)(tokA.AccessToken).want(403), `error="insufficient_scope"`, `scope="keys:write"`)
	mine := s.signInScoped("ib@example.com", "ib-Secret-77", "keys:write")
	wantActive(t, s.asBearer(mine.AccessToken), tokB.AccessToken, true)
	wantActive(t, s.asBearer(mine.AccessToken), tokA.AccessToken, false)
	// An admin of Alpha learns about the tokens of its subtree; a manager
	// there administers nothing.
	for role, active := range map[string]bool{"admin": true, "manager": false} {
		email := role + "-alpha@example.com"
		s.userWithPassword(map[string]any{"email": email, "organization_id": a["id"], "roles": []string{role}}, "alpha-Secret-77")
		tok := s.signInScoped(email, "alpha-Secret-77", "keys:write")
		wantActive(t, s.asBearer(tok.AccessToken), tokA.AccessToken, active)
		wantActive(t, s.asBearer(tok.AccessToken), tokB.AccessToken, false)
	}

	// Refusals of the caller.
	if res := s.asClient(id, "rcs_wrong", true)(tokA.AccessToken).want(401); res.Header.Get("WWW-Authenticate") == "" || res.obj()["error"] != "invalid_client" {
		t.Errorf("a wrong client secret: %s %v", res.Body, res.Header)
	}
	if got := s.asClient(id, "rcs_wrong", false)(tokA.AccessToken).want(401).obj(); got["error"] != "invalid_client" {
		t.Errorf("a wrong client secret (post): %v", got)
	}
	if got := s.form("/oauth2/introspect", url.Values{"token": {tokA.AccessToken}}).want(401).obj(); got["error"] != "invalid_client" {
		t.Errorf("no credentials: %v", got)
	}
	wantChallenge(t, s.asBearer("rat_unknown")(tokA.AccessToken).want(401), `error="invalid_token"`)
	if got := s.asClient(id, secret, true)("").want(400).obj(); got["error"] != "invalid_request" {
		t.Errorf("no token: %v", got)
	}
	s.form("/oauth2/introspect", url.Values{"token": {tokA.AccessToken}, "client_id": {id}, "client_secret": {secret}}, "Authorization", "Basic "+basicAuth(id, secret)).want(400)
	s.doAs("", "POST", "/oauth2/introspect", `{"token":"x"}`, "Authorization", "Basic "+basicAuth(id, secret)).want(400)

	// A disabled user's tokens, and revoked ones, are inactive.
	s.do("PATCH", "/v1/users/"+ua["id"].(string), map[string]any{"status": "disabled"}, "Content-Type", "application/merge-patch+json").want(200)
	wantActive(t, s.asClient(id, secret, true), tokA.AccessToken, false)
	s.form("/v1/auth/revoke", url.Values{"token": {tokB.RefreshToken}}).want(200)
	wantActive(t, s.asBearer(s.Key), tokB.AccessToken, false)
}

// TestIntrospectionRefreshReuse: a refresh token used twice revokes its
// whole sign-in (RFC 9700 section 4.14), so every token of the family,
// the ones the first use gave included, introspects inactive.
func TestIntrospectionRefreshReuse(t *testing.T) {
	s := startServer(t)
	s.userWithPassword(map[string]any{"email": "reuse@example.com"}, "reuse-Secret-77")
	first, err := s.signIn("reuse@example.com", "reuse-Secret-77")
	if err != nil {
		t.Fatal(err)
	}
	refresh := func(rt string) *response {
		return s.form("/v1/auth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	}
	second := refresh(first.RefreshToken).want(200).obj()
	ask := s.asBearer(s.Key)
	wantActive(t, ask, first.AccessToken, true)
	wantActive(t, ask, first.RefreshToken, false) // used: it no longer works
	wantActive(t, ask, second["access_token"].(string), true)
	wantActive(t, ask, second["refresh_token"].(string), true)
	if got := refresh(first.RefreshToken).want(400).obj(); got["error"] != "invalid_grant" {
		t.Errorf("a reused refresh token: %v, want invalid_grant", got)
	}
	for _, tok := range []string{first.AccessToken, first.RefreshToken, second["access_token"].(string), second["refresh_token"].(string)} {
		wantActive(t, ask, tok, false)
	}
	refresh(second["refresh_token"].(string)).want(400)
}

// basicAuth is the credentials of an Authorization: Basic header, each
// form-encoded first (RFC 6749 section 2.3.1).
func basicAuth(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}
