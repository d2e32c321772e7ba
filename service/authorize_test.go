// SPDX-License-Identifier: Apache-2.0

package service

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// TestAuthorizeChecks: the pure checks of an authorization request.
func TestAuthorizeChecks(t *testing.T) {
	public := &roster.OAuthClient{Type: roster.ClientPublic, AllowedScopes: []string{"openid", "email"}}
	confidential := &roster.OAuthClient{Type: roster.ClientConfidential, AllowedScopes: []string{"openid"}}
	sum := sha256.Sum256([]byte(strings.Repeat("v", 43)))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	for _, c := range []struct {
		name, challenge, method string
		cl                      *roster.OAuthClient
		ok                      bool
	}{
		{"S256", challenge, "S256", public, true},
		{"public without PKCE", "", "", public, false},
		{"confidential without PKCE", "", "", confidential, true},
		{"plain", challenge, "plain", confidential, false},
		{"no method (plain by default)", challenge, "", confidential, false},
		{"method alone", "", "S256", confidential, false},
		{"not a SHA-256", "abc", "S256", confidential, false},
	} {
		if _, err := pkceChallenge(c.challenge, c.method, c.cl); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	for prompt, want := range map[string]string{"": "", "none": "none", "login": "login", "consent login": "login", "consent": "consent", "none login": "!", "select_account": "!"} {
		got, err := authorizePrompt(prompt)
		if (err != nil) != (want == "!") || (err == nil && got != want) {
			t.Errorf("prompt %q: %q, %v", prompt, got, err)
		}
	}
	if got, err := authorizeScopes("openid  email openid", public); err != nil || !slices.Equal(got, []string{"openid", "email"}) {
		t.Errorf("scopes: %v, %v", got, err)
	}
	for _, bad := range []string{"", "  ", "openid profile"} {
		if _, err := authorizeScopes(bad, public); err == nil {
			t.Errorf("scope %q was taken", bad)
		}
	}
	if got := withQuery("https://app.example/cb?x=1", map[string][]string{"code": {"a b"}}); got != "https://app.example/cb?x=1&code=a+b" {
		t.Errorf("withQuery: %s", got)
	}
	if got := hintAudience([]any{"a", 1, "b"}); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("hintAudience: %v", got)
	}
	if got := truncate("aé", 2); got != "a" {
		t.Errorf("truncate cut a rune: %q", got)
	}
}

// TestCodeMatches: a code is exchanged by its client, with its
// redirect_uri, before it expires, with the verifier of its challenge.
func TestCodeMatches(t *testing.T) {
	s := &Service{}
	verifier := strings.Repeat("k", 50)
	sum := sha256.Sum256([]byte(verifier))
	cl := &roster.OAuthClient{ID: "cli_a"}
	code := func() *roster.AuthCode {
		return &roster.AuthCode{ClientID: "cli_a", RedirectURI: "https://app.example/cb", ExpiresAt: time.Now().Add(time.Minute),
			CodeChallenge: base64.RawURLEncoding.EncodeToString(sum[:])}
	}
	req := func() *TokenRequest {
		return &TokenRequest{RedirectURI: "https://app.example/cb", CodeVerifier: verifier}
	}
	if !s.codeMatches(code(), cl, req()) {
		t.Fatal("the right exchange does not match")
	}
	for name, spoil := range map[string]func(*roster.AuthCode, *roster.OAuthClient, *TokenRequest) *roster.OAuthClient{
		"another client": func(c *roster.AuthCode, cl *roster.OAuthClient, r *TokenRequest) *roster.OAuthClient {
			return &roster.OAuthClient{ID: "cli_b"}
		},
		"another redirect_uri": func(c *roster.AuthCode, cl *roster.OAuthClient, r *TokenRequest) *roster.OAuthClient {
			r.RedirectURI += "/"
			return cl
		},
		"expired": func(c *roster.AuthCode, cl *roster.OAuthClient, r *TokenRequest) *roster.OAuthClient {
			c.ExpiresAt = time.Now()
			return cl
		},
		"wrong verifier": func(c *roster.AuthCode, cl *roster.OAuthClient, r *TokenRequest) *roster.OAuthClient {
			r.CodeVerifier += "x"
			return cl
		},
		"no verifier": func(c *roster.AuthCode, cl *roster.OAuthClient, r *TokenRequest) *roster.OAuthClient {
			r.CodeVerifier = ""
			return cl
		},
		"verifier, no challenge": func(c *roster.AuthCode, cl *roster.OAuthClient, r *TokenRequest) *roster.OAuthClient {
			c.CodeChallenge = ""
			return cl
		},
	} {
		c, r := code(), req()
		if s.codeMatches(c, spoil(c, cl, r), r) {
			t.Errorf("%s: matches", name)
		}
	}
}
