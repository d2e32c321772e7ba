// SPDX-License-Identifier: Apache-2.0

package roster_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

// FuzzBuildOAuthClient decodes any body as an OAuth client and builds it,
// new and over a stored one: a 4xx error or a client that keeps every
// rule of PRODUCT.md section 13, never a panic.
func FuzzBuildOAuthClient(f *testing.F) {
	f.Add([]byte(`{"name":"sync","scopes":["users:read"]}`))
	f.Add([]byte(`{"name":"spa","type":"public","redirect_uris":["https://a.example.com/cb","http://[::1]:8080/cb"],"allowed_scopes":["openid","users:read"]}`))
	f.Add([]byte(`{"name":"app","type":"public","redirect_uris":["com.example.app:/cb"],"grant_types":["authorization_code"]}`))
	f.Add([]byte(`{"name":"console","first_party":true,"grant_types":["password","client_credentials"],"scopes":["orgs:read"],"id_token_signed_response_alg":"ES256"}`))
	f.Add([]byte(`{"name":"x","redirect_uris":["http://localhost/cb#f","https://u@h/","javascript:x"],"post_logout_redirect_uris":["https://h/ x"]}`))
	cur, err := roster.BuildOAuthClient(nil, &roster.OAuthClientInput{Name: "cur", Scopes: []string{roster.ScopeUsersRead}})
	if err != nil {
		f.Fatal(err)
	}
	cur.ID, cur.Version = "cli_01JD3M0000000000000000000A", 1
	f.Fuzz(func(t *testing.T, data []byte) {
		var in roster.OAuthClientInput
		if err := roster.DecodeStrict(data, &in); err != nil {
			wantCode(t, "DecodeStrict", err, roster.CodeInvalid, roster.CodeMalformed)
			return
		}
		for _, c := range []*roster.OAuthClient{nil, cur} {
			cl, err := roster.BuildOAuthClient(c, &in)
			if err != nil {
				wantCode(t, "BuildOAuthClient", err, roster.CodeInvalid)
				continue
			}
			checkClientRules(t, cl)
		}
	})
}

// checkClientRules fails for a client that breaks a rule of section 13.
func checkClientRules(t *testing.T, c *roster.OAuthClient) {
	t.Helper()
	if c.Type != roster.ClientConfidential && c.Type != roster.ClientPublic {
		t.Fatalf("type %q", c.Type)
	}
	if len(c.GrantTypes) == 0 || c.Scopes == nil || c.AllowedScopes == nil || c.RedirectURIs == nil || c.PostLogoutRedirectURIs == nil {
		t.Fatalf("empty grant types or a nil list: %+v", c)
	}
	for _, g := range c.GrantTypes {
		if !slices.Contains(roster.GrantTypes, g) ||
			g == roster.GrantClientCredentials && (c.Type == roster.ClientPublic || len(c.Scopes) == 0) ||
			g == roster.GrantPassword && !c.FirstParty ||
			g == roster.GrantAuthorizationCode && len(c.RedirectURIs) == 0 {
			t.Fatalf("grant %s accepted for %+v", g, c)
		}
	}
	for _, sc := range c.AllowedScopes {
		if sc == roster.ScopeKeysWrite || !slices.Contains(roster.AllowedScopeChoices(), sc) {
			t.Fatalf("allowed scope %q", sc)
		}
	}
	if c.IDTokenAlg != roster.AlgRS256 && c.IDTokenAlg != roster.AlgES256 {
		t.Fatalf("alg %q", c.IDTokenAlg)
	}
	for _, list := range [][]string{c.RedirectURIs, c.PostLogoutRedirectURIs} {
		if len(list) > 20 {
			t.Fatalf("%d redirect URIs", len(list))
		}
		for _, s := range list {
			u, err := url.Parse(s)
			if err != nil || len(s) > 2000 || strings.ContainsAny(s, "# \t") || u.User != nil {
				t.Fatalf("redirect URI %q accepted", s)
			}
			switch {
			case u.Scheme == "https" && u.Host != "":
			case u.Scheme == "http" && slices.Contains([]string{"127.0.0.1", "::1", "localhost"}, u.Hostname()):
			case strings.Contains(u.Scheme, ".") && c.Type == roster.ClientPublic:
			default:
				t.Fatalf("redirect URI %q accepted for a %s client", s, c.Type)
			}
		}
	}
}

// TestDecodeOAuthClient: a client stored before section 9 reads as the
// client_credentials client it was.
func TestDecodeOAuthClient(t *testing.T) {
	c, err := roster.DecodeOAuthClient([]byte(`{"client_id":"cli_x","organization_id":"org_x","name":"old","scopes":["users:read"],"created_at":"2026-01-02T03:04:05Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != roster.ClientConfidential || !slices.Equal(c.GrantTypes, []string{roster.GrantClientCredentials}) || c.IDTokenAlg != roster.AlgRS256 ||
		c.Version != 1 || !c.UpdatedAt.Equal(c.CreatedAt) || c.RedirectURIs == nil || c.PostLogoutRedirectURIs == nil || c.AllowedScopes == nil {
		t.Errorf("an old client decodes as %+v", c)
	}
	checkClientRules(t, c)
}
