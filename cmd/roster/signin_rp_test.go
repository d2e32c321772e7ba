// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestRelyingParty: a real relying party (go-oidc and x/oauth2) signs a
// user in through discovery, the pages, the code with PKCE, the ID token
// verified against the JWKS, userinfo, refresh rotation (a reuse revokes the
// family, as introspection shows) and logout; an ES256 client gets ES256 ID tokens.
func TestRelyingParty(t *testing.T) {
	s := startServer(t)
	u := s.userWithPassword(map[string]any{"email": "rp@example.com", "first_name": "Ada", "last_name": "Lovelace"}, "rp-Secret-1")
	ctx := context.Background()
	p := s.provider()
	for _, alg := range []string{"RS256", "ES256"} {
		app := s.newApp(t, map[string]any{"id_token_signed_response_alg": alg})
		conf := app.oauth(s, oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess, "users:read")
		conf.Endpoint = p.Endpoint()
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams // client_secret_post; Basic is in TestSignInPageCodeFlow
		verifier := p.Verifier(&oidc.Config{ClientID: app.ID, SupportedSigningAlgs: []string{alg}})
		b := newBrowser(t, s)
		pkce := oauth2.GenerateVerifier()
		page := b.get(conf.AuthCodeURL("rp-state", oauth2.S256ChallengeOption(pkce), oidc.Nonce("rp-nonce-"+alg)))
		cb := b.signInPage(page, "rp@example.com", "rp-Secret-1").location().Query()
		if cb.Get("state") != "rp-state" {
			t.Fatalf("%s: state %q", alg, cb.Get("state"))
		}
		tok, err := conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatalf("%s: exchange: %v", alg, err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("%s: the ID token does not verify: %v", alg, err)
		}
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			t.Errorf("%s: at_hash: %v", alg, err)
		}
		var claims map[string]any
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if idt.Subject != u["id"] || idt.Nonce != "rp-nonce-"+alg || claims["email"] != "rp@example.com" || claims["given_name"] != "Ada" ||
			claims["azp"] != app.ID || claims["auth_time"] == nil || !strings.HasPrefix(claims["sid"].(string), "ses_") {
			t.Errorf("%s: claims %v", alg, claims)
		}
		if jwsHeader(t, raw).Alg != alg {
			t.Errorf("ID token signed with %s, want %s", jwsHeader(t, raw).Alg, alg)
		}
		// The access token works on the API and at userinfo.
		s.doAs(tok.AccessToken, "GET", "/v1/users/me", nil).want(200)
		info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("%s: userinfo: %v", alg, err)
		}
		if info.Subject != idt.Subject || info.Email != "rp@example.com" {
			t.Errorf("%s: userinfo %+v", alg, info)
		}

		// Refresh rotates and gives a new ID token for the same user
		// and session; a reuse revokes the family, as introspection
		// shows.
		introspect := s.asClient(app.ID, app.Secret, true)
		fresh, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatal(err)
		}
		fid, err := verifier.Verify(ctx, fresh.Extra("id_token").(string))
		if err != nil || fid.Subject != idt.Subject {
			t.Fatalf("%s: refreshed ID token: %v", alg, err)
		}
		if oauthJSON(t, introspect(fresh.RefreshToken).want(200))["active"] != true {
			t.Fatalf("%s: the new refresh token is not active", alg)
		}
		if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
			t.Fatalf("%s: a refresh token worked twice", alg)
		} else if code, _ := oauthErrorCode(t, err); code != "invalid_grant" {
			t.Fatalf("%s: reuse: %s", alg, code)
		}
		s.doAs(fresh.AccessToken, "GET", "/v1/users/me", nil).problem(401)
		for _, tk := range []string{fresh.AccessToken, fresh.RefreshToken} {
			if got := oauthJSON(t, introspect(tk).want(200)); got["active"] != false {
				t.Errorf("%s: a token of the revoked family at introspection: %v", alg, got)
			}
		}
		if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken}).Token(); err == nil {
			t.Fatalf("%s: the family's newest refresh token works after a reuse", alg)
		}

		// Logout through the discovered end_session_endpoint.
		var meta struct {
			EndSession string `json:"end_session_endpoint"`
		}
		if err := p.Claims(&meta); err != nil {
			t.Fatal(err)
		}
		q, pkce2 := b.authorize(conf, "", "")
		tok2, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pkce2))
		if err != nil {
			t.Fatal(err)
		}
		out := b.get(meta.EndSession + "?" + url.Values{"id_token_hint": {tok2.Extra("id_token").(string)}, "post_logout_redirect_uri": {app.LogoutRedirect}, "state": {"out"}}.Encode())
		if loc := out.location(); loc.Query().Get("state") != "out" {
			t.Fatalf("%s: logout redirect %s", alg, loc)
		}
		s.doAs(tok2.AccessToken, "GET", "/v1/users/me", nil).problem(401)
	}
}
