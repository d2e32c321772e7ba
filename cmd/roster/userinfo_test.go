// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// signInScoped gets tokens with the password grant, limited to scopes.
func (s *testServer) signInScoped(username, password string, scopes ...string) *oauth2.Token {
	s.t.Helper()
	c := s.oauthConfig()
	c.Scopes = scopes
	tok, err := c.PasswordCredentialsToken(context.Background(), username, password)
	if err != nil {
		s.t.Fatalf("sign in %s: %v", username, err)
	}
	return tok
}

// wantChallenge checks the WWW-Authenticate of a bearer refusal (RFC 6750
// section 3).
func wantChallenge(t *testing.T, res *response, parts ...string) {
	t.Helper()
	got := res.Header.Get("WWW-Authenticate")
	if !strings.HasPrefix(got, "Bearer ") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
	}
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("WWW-Authenticate = %q, want %s in it", got, p)
		}
	}
}

// TestUserInfo: a relying party (go-oidc) reads the claims of an access
// token granted openid, each only under its scope; tokens that do not
// work, or lack openid, are refused as RFC 6750 says.
func TestUserInfo(t *testing.T) {
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "info@example.com", "first_name": "Ada", "last_name": "Lovelace",
		"preferences": map[string]any{"language": "nl", "time_zone": "Europe/Amsterdam"}}, "info-Secret-77")
	id := u["id"].(string)
	tok := s.signInScoped("info@example.com", "info-Secret-77", "openid", "profile", "email")
	info, err := s.provider().UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	var claims map[string]any
	if err := info.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if info.Subject != id || info.Email != "info@example.com" || claims["given_name"] != "Ada" || claims["family_name"] != "Lovelace" ||
		claims["name"] != "Ada Lovelace" || claims["locale"] != "nl" || claims["zoneinfo"] != "Europe/Amsterdam" || claims["org_id"] != u["organization_id"] {
		t.Errorf("userinfo claims: %v", claims)
	}
	if _, ok := claims["phone_number"]; ok {
		t.Errorf("a phone claim without the phone scope: %v", claims)
	}
	// POST with the token in the body (RFC 6750 section 2.2) answers the same.
	post := s.form("/oauth2/userinfo", url.Values{"access_token": {tok.AccessToken}}).want(200).obj()
	if post["sub"] != id || post["email"] != "info@example.com" {
		t.Errorf("POST userinfo: %v", post)
	}
	only := s.signInScoped("info@example.com", "info-Secret-77", "openid")
	if got := s.doAs(only.AccessToken, "GET", "/oauth2/userinfo", nil).want(200).obj(); len(got) != 1 || got["sub"] != id {
		t.Errorf("userinfo with openid alone: %v, want sub only", got)
	}

	// Refusals.
	plain := s.signInScoped("info@example.com", "info-Secret-77", "users:read")
	res := s.doAs(plain.AccessToken, "GET", "/oauth2/userinfo", nil).want(403)
	wantChallenge(t, res, `error="insufficient_scope"`, `scope="openid"`)
	res = s.doAs("", "GET", "/oauth2/userinfo", nil).want(401)
	wantChallenge(t, res, `realm="roster"`)
	for name, token := range map[string]string{"unknown": "rat_nothing", "an API key": s.Key, "a refresh token": tok.RefreshToken} {
		res = s.doAs(token, "GET", "/oauth2/userinfo", nil)
		if res.Status != 401 {
			t.Errorf("userinfo with %s: %d, want 401", name, res.Status)
		}
		wantChallenge(t, res, `error="invalid_token"`)
	}
	s.form("/oauth2/userinfo", url.Values{"access_token": {tok.AccessToken}}, "Authorization", "Bearer "+tok.AccessToken).want(400)
	s.doAs("", "GET", "/oauth2/userinfo", nil, "Authorization", "Basic eDp5").want(400)
	// A disabled user's tokens stop working at once; a revoked one too.
	s.do("PATCH", "/v1/users/"+id, map[string]any{"status": "disabled"}, "Content-Type", "application/merge-patch+json").want(200)
	wantChallenge(t, s.doAs(tok.AccessToken, "GET", "/oauth2/userinfo", nil).want(401), `error="invalid_token"`)
	s.do("PATCH", "/v1/users/"+id, map[string]any{"status": "enabled"}, "Content-Type", "application/merge-patch+json").want(200)
	s.doAs(tok.AccessToken, "GET", "/oauth2/userinfo", nil).want(200)
	s.form("/v1/auth/revoke", url.Values{"token": {tok.AccessToken}}).want(200)
	wantChallenge(t, s.doAs(tok.AccessToken, "GET", "/oauth2/userinfo", nil).want(401), `error="invalid_token"`)
}
