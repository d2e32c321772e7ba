// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// provider discovers the server as a relying party does.
func (s *testServer) provider() *oidc.Provider {
	s.t.Helper()
	p, err := oidc.NewProvider(context.Background(), s.URL)
	if err != nil {
		s.t.Fatalf("discovery: %v", err)
	}
	return p
}

// idToken signs an ID token for the client "app" with the server's
// current key of alg, as the token endpoint does.
func (s *testServer) idToken(alg, sub string) string {
	s.t.Helper()
	now := time.Now()
	tok, err := s.Main.svc.SignJWT(context.Background(), alg, map[string]any{"iss": s.URL, "sub": sub, "aud": "app",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	if err != nil {
		s.t.Fatalf("SignJWT(%s): %v", alg, err)
	}
	return tok
}

// verifyIDToken checks an ID token against the JWKS, as an RP does, and
// returns its kid.
func verifyIDToken(t *testing.T, p *oidc.Provider, raw string) string {
	t.Helper()
	v := p.Verifier(&oidc.Config{ClientID: "app", SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}})
	if _, err := v.Verify(context.Background(), raw); err != nil {
		t.Fatalf("verify the ID token: %v", err)
	}
	return jwsKid(t, raw)
}

// TestOpenIDDiscovery: a relying party (go-oidc) discovers the server,
// reads its endpoints and verifies tokens signed with either algorithm
// against the JWKS.
func TestOpenIDDiscovery(t *testing.T) {
	s := startServer(t)
	p := s.provider()
	var meta map[string]any
	if err := p.Claims(&meta); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"issuer": s.URL, "authorization_endpoint": s.URL + "/oauth2/authorize", "token_endpoint": s.URL + "/v1/auth/token",
		"revocation_endpoint": s.URL + "/v1/auth/revoke", "userinfo_endpoint": s.URL + "/oauth2/userinfo",
		"introspection_endpoint": s.URL + "/oauth2/introspect", "end_session_endpoint": s.URL + "/oauth2/logout", "jwks_uri": s.URL + "/oauth2/jwks"}
	for k, v := range want {
		if meta[k] != v {
			t.Errorf("discovery %s = %v, want %s", k, meta[k], v)
		}
	}
	if got := mustJSON(meta["code_challenge_methods_supported"]); string(got) != `["S256"]` {
		t.Errorf("code_challenge_methods_supported = %s", got)
	}
	if got := mustJSON(meta["id_token_signing_alg_values_supported"]); string(got) != `["RS256","ES256"]` {
		t.Errorf("id_token_signing_alg_values_supported = %s", got)
	}
	res := s.doAs("", "GET", "/.well-known/openid-configuration", nil).want(200)
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("discovery Cache-Control = %q", cc)
	}
	res = s.doAs("", "GET", "/oauth2/jwks", nil, "Accept", "application/jwk-set+json").want(200)
	if ct, cc := res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"); ct != "application/jwk-set+json" || cc != "public, max-age=300" {
		t.Errorf("JWKS Content-Type %q, Cache-Control %q", ct, cc)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(res.Body, &set); err != nil {
		t.Fatal(err)
	}
	algs := map[any]bool{}
	for _, k := range set.Keys {
		algs[k["alg"]] = true
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("the JWKS shows the private part %s of key %v", private, k["kid"])
			}
		}
	}
	if len(set.Keys) != 2 || !algs["RS256"] || !algs["ES256"] {
		t.Errorf("JWKS = %s, want one RS256 and one ES256 key", res.Body)
	}
	for _, alg := range []string{"RS256", "ES256"} {
		verifyIDToken(t, p, s.idToken(alg, "usr_1"))
	}
}

// jwsKid returns the kid header of a compact JWS.
func jwsKid(t *testing.T, raw string) string {
	t.Helper()
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(jwsPart(t, raw, 0), &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// jwsPart decodes part i (0 header, 1 payload) of a compact JWS.
func jwsPart(t *testing.T, raw string, i int) []byte {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	return b
}
