// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/rosterhq/roster/internal/pgtest"
)

// provider discovers the server as a relying party does. The issuer is
// the server's own address, which differs from s.URL behind Prism.
func (s *testServer) provider() *oidc.Provider {
	s.t.Helper()
	ctx := context.Background()
	if iss := s.issuer(); iss != s.URL {
		ctx = oidc.InsecureIssuerURLContext(ctx, iss)
	}
	p, err := oidc.NewProvider(ctx, s.URL)
	if err != nil {
		s.t.Fatalf("discovery: %v", err)
	}
	return p
}

// issuer is the server's OpenID issuer: its public URL.
func (s *testServer) issuer() string { return s.Main.svc.Issuer() }

// idToken signs an ID token for the client "app" with the server's
// current key of alg, as the token endpoint does.
func (s *testServer) idToken(alg, sub string) string {
	s.t.Helper()
	now := time.Now()
	tok, err := s.Main.svc.SignJWT(context.Background(), alg, map[string]any{"iss": s.issuer(), "sub": sub, "aud": "app",
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
	iss := s.issuer()
	want := map[string]string{"issuer": iss, "authorization_endpoint": iss + "/oauth2/authorize", "token_endpoint": iss + "/v1/auth/token",
		"revocation_endpoint": iss + "/v1/auth/revoke", "userinfo_endpoint": iss + "/oauth2/userinfo",
		"introspection_endpoint": iss + "/oauth2/introspect", "end_session_endpoint": iss + "/oauth2/logout", "jwks_uri": iss + "/oauth2/jwks"}
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
	return jwsHeader(t, raw).Kid
}

// jwsHead is a compact JWS's header.
type jwsHead struct {
	Kid string `json:"kid"`
	Alg string `json:"alg"`
}

// jwsHeader decodes a compact JWS's header.
func jwsHeader(t *testing.T, raw string) jwsHead {
	t.Helper()
	var h jwsHead
	if err := json.Unmarshal(jwsPart(t, raw, 0), &h); err != nil {
		t.Fatal(err)
	}
	return h
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

// rotateKeys runs `roster keys rotate` on the server's store, as another
// process would, and returns the new kids by algorithm.
func (s *testServer) rotateKeys() map[string]string {
	s.t.Helper()
	args := []string{"keys", "rotate", "--data-dir", s.Main.Config.DataDir}
	if url := s.Main.Config.DatabaseURL; url != "" {
		args = append(args, "--database-url", url)
	}
	var out, errs bytes.Buffer
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errs); err != nil {
		s.t.Fatalf("roster keys rotate: %v\n%s", err, errs.String())
	}
	kids := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		alg, kid, _ := strings.Cut(line, " ")
		kids[alg] = kid
	}
	if len(kids) != 2 || kids["RS256"] == "" || kids["ES256"] == "" {
		s.t.Fatalf("roster keys rotate printed %q, want a RS256 and an ES256 kid", out.String())
	}
	return kids
}

// TestKeysRotate: `roster keys rotate` beside a running server. Tokens
// signed before it still verify against the JWKS (which keeps the old
// keys until those tokens expire), and the server signs with the new
// keys once it has read them again.
func TestKeysRotate(t *testing.T) {
	s := startServer(t, func(c *Config) { c.Security.KeysRefresh = 100 * time.Millisecond })
	old := map[string]string{}
	for _, alg := range []string{"RS256", "ES256"} {
		old[alg] = s.idToken(alg, "usr_1")
	}
	oldKids := map[string]string{"RS256": jwsKid(t, old["RS256"]), "ES256": jwsKid(t, old["ES256"])}
	started := time.Now()
	kids := s.rotateKeys()
	time.Sleep(200 * time.Millisecond) // the server's KeysRefresh
	p := s.provider()                  // a relying party that never saw the old JWKS
	for _, alg := range []string{"RS256", "ES256"} {
		if kids[alg] == oldKids[alg] {
			t.Errorf("%s: the rotation kept kid %s", alg, kids[alg])
		}
		if kid := verifyIDToken(t, p, old[alg]); kid != oldKids[alg] {
			t.Errorf("%s: the old token's kid is %s, want %s", alg, kid, oldKids[alg])
		}
		if kid := verifyIDToken(t, p, s.idToken(alg, "usr_1")); kid != kids[alg] {
			t.Errorf("%s: a token signed after the rotation has kid %s, want the new %s", alg, kid, kids[alg])
		}
	}
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(s.doAs("", "GET", "/oauth2/jwks", nil).want(200).Body, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 4 {
		t.Errorf("the JWKS after a rotation holds %d keys, want the 2 new and the 2 retired", len(set.Keys))
	}
	// The retired keys stay until every token they signed has expired:
	// the access (and ID) token lifetime plus a margin.
	var expires []time.Time
	rows, err := storeSQL(t, s).Query(`SELECT expires_at FROM signing_keys WHERE retired_at IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var at any
		if err := rows.Scan(&at); err != nil {
			t.Fatal(err)
		}
		expires = append(expires, dbTime(t, at))
	}
	ttl := s.Main.Config.Security.AccessTokenTTL
	for _, at := range expires {
		if at.Before(started.Add(ttl)) || at.After(time.Now().Add(ttl+10*time.Minute)) {
			t.Errorf("a retired key expires at %v: want the token lifetime (%v) plus a margin from now", at, ttl)
		}
	}
	if len(expires) != 2 {
		t.Errorf("%d retired keys, want 2", len(expires))
	}

	// A rotation with another secret key than the server's, or where
	// there is no database, is refused and changes nothing.
	other := func(name string) string {
		if name == "ROSTER_SECRET_KEY" {
			return "another-secret-key-0123456789abcdef-0123"
		}
		return ""
	}
	args := []string{"keys", "rotate", "--data-dir", s.Main.Config.DataDir}
	if url := s.Main.Config.DatabaseURL; url != "" {
		args = append(args, "--database-url", url)
	}
	if err := run(context.Background(), args, other, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "secret key") {
		t.Errorf("rotate with another secret key: %v, want a refusal naming the secret key", err)
	}
	empty := t.TempDir()
	if err := run(context.Background(), []string{"keys", "rotate", "--data-dir", empty}, func(string) string { return "" }, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Errorf("rotate in an empty folder: %v, want a refusal", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a refused rotation left %d files in the empty folder", len(entries))
	}
	if got := strings.Count(string(s.doAs("", "GET", "/oauth2/jwks", nil).want(200).Body), `"kid"`); got != 4 {
		t.Errorf("after refused rotations the JWKS holds %d keys, want 4", got)
	}
}

// dbTime reads a time column of either store: microseconds since the
// epoch (the embedded store) or a timestamp.
func dbTime(t *testing.T, v any) time.Time {
	t.Helper()
	switch v := v.(type) {
	case int64:
		return time.UnixMicro(v)
	case time.Time:
		return v
	}
	t.Fatalf("a time column holds %T", v)
	return time.Time{}
}

// TestMultiNodeSigningKeys: nodes that start together on a new database
// each offer signing keys at once; one set is kept, every node serves it,
// and a token signed by one node verifies against another's JWKS.
func TestMultiNodeSigningKeys(t *testing.T) {
	needPostgres(t)
	nodes := startNodes(t, pgtest.URL(t), 4)
	first := string(nodes[0].doAs("", "GET", "/oauth2/jwks", nil).want(200).Body)
	if n := strings.Count(first, `"kid"`); n != 2 {
		t.Fatalf("node 0's JWKS holds %d keys, want 2: %s", n, first)
	}
	for i, s := range nodes[1:] {
		if got := string(s.doAs("", "GET", "/oauth2/jwks", nil).want(200).Body); got != first {
			t.Errorf("node %d's JWKS differs from node 0's:\n%s\n%s", i+1, got, first)
		}
	}
	ctx := context.Background()
	keys := oidc.NewRemoteKeySet(ctx, nodes[3].URL+"/oauth2/jwks")
	for _, alg := range []string{"RS256", "ES256"} {
		if _, err := keys.VerifySignature(ctx, nodes[0].idToken(alg, "usr_1")); err != nil {
			t.Errorf("a %s token of node 0 against node 3's JWKS: %v", alg, err)
		}
	}
}
