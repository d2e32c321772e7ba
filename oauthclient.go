// SPDX-License-Identifier: Apache-2.0

package roster

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Grant types an OAuth client may use besides GrantClientCredentials and
// GrantRefreshToken (which webhooks use too).
const (
	GrantAuthorizationCode = "authorization_code"
	GrantPassword          = "password"
)

// GrantTypes lists the grant types a client may be given.
var GrantTypes = []string{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials, GrantPassword}

// SignInScopes are the OpenID Connect scopes a user may grant a client at
// sign-in, besides Roster's API scopes.
var SignInScopes = []string{"openid", "profile", "email", "phone", "offline_access"}

// Limits of a client's redirect URIs (each list).
const (
	maxRedirectURIs   = 20
	maxRedirectURILen = 2000
)

// ClientScopes are the API scopes a client's own tokens
// (client_credentials) may hold: every scope but those that only make
// sense for a person.
func ClientScopes() []string {
	return slices.DeleteFunc(slices.Clone(AllScopes), func(s string) bool {
		return s == ScopeKeysWrite || s == ScopeUsersWriteSelf
	})
}

// AllowedScopeChoices are the scopes a client may list in allowed_scopes:
// the OpenID Connect ones and every API scope but keys:write and scim, so
// that an app a user signs in to can never mint credentials in that
// user's name nor provision users as an identity provider.
func AllowedScopeChoices() []string {
	api := slices.DeleteFunc(slices.Clone(AllScopes), func(s string) bool { return s == ScopeKeysWrite || s == ScopeSCIM })
	return append(slices.Clone(SignInScopes), api...)
}

// OAuthClientInput is an OAuth client as sent: the body of its creation
// and of PUT (PATCH applies to the client as GET shows it). Fields only
// the server sets may be echoed unchanged.
type OAuthClientInput struct {
	ClientID               *string          `json:"client_id,omitempty" readOnly:"true"`
	OrganizationID         *string          `json:"organization_id,omitempty" doc:"The organisation the client belongs to; defaults to the caller's. The caller must be an admin there. It cannot change."`
	Name                   string           `json:"name" required:"true" minLength:"1" maxLength:"255"`
	Type                   *string          `json:"type,omitempty" enum:"confidential,public" doc:"confidential (default) clients hold a secret; public clients (single-page and native apps) have none and send client_id only."`
	FirstParty             *bool            `json:"first_party,omitempty" doc:"The product's own app: users are not asked for consent, and it may use the password grant. false by default."`
	RedirectURIs           []string         `json:"redirect_uris,omitempty" maxItems:"20" doc:"Where the authorization endpoint may send the browser back (compared exactly): absolute, no fragment, https, or http for a loopback host (127.0.0.1, [::1], localhost), or for public clients a private-use scheme (com.example.app:/callback). At most 2,000 characters each. Required for authorization_code."`
	PostLogoutRedirectURIs []string         `json:"post_logout_redirect_uris,omitempty" maxItems:"20" doc:"Where RP-initiated logout may send the browser back; the same rules as redirect_uris."`
	GrantTypes             []string         `json:"grant_types,omitempty" doc:"Any of authorization_code, refresh_token, client_credentials (confidential clients), password (first-party clients). By default authorization_code and refresh_token when redirect_uris are given, else client_credentials."`
	Scopes                 []string         `json:"scopes,omitempty" doc:"What the client's own tokens (client_credentials) may do: required, at least one, with that grant; keys:write and users:write:self are not for clients. No more than the creator's own token holds."`
	AllowedScopes          []string         `json:"allowed_scopes,omitempty" doc:"What users may grant the client at sign-in: openid, profile, email, phone, offline_access and API scopes but keys:write and scim. By default openid, profile and email for authorization_code clients. No API scope beyond the creator's own token."`
	IDTokenAlg             *string          `json:"id_token_signed_response_alg,omitempty" enum:"RS256,ES256" doc:"How the client's ID tokens are signed; RS256 by default."`
	CreatedAt              *time.Time       `json:"created_at,omitempty" readOnly:"true"`
	CreatedBy              *string          `json:"created_by,omitempty" readOnly:"true"`
	UpdatedAt              *time.Time       `json:"updated_at,omitempty" readOnly:"true"`
	Version                *int64           `json:"version,omitempty" readOnly:"true"`
	Links                  *json.RawMessage `json:"_links,omitempty" readOnly:"true"`
}

// BuildOAuthClient validates in and returns the client it describes,
// without id, secret or times. With cur nil it is a creation; otherwise in
// replaces every writable field of cur (an omitted one takes its default).
// Whether the caller may hand out the scopes, and whether the organisation
// exists, is the service's to check.
func BuildOAuthClient(cur *OAuthClient, in *OAuthClientInput) (*OAuthClient, error) {
	var fe fieldErrors
	c := &OAuthClient{}
	if cur != nil {
		c = cur.Clone()
		fe.readOnly("client_id", in.ClientID, cur.ID, "ids are assigned by the server")
		fe.readOnly("created_at", in.CreatedAt, cur.CreatedAt, "it is set by the server")
		fe.readOnly("created_by", in.CreatedBy, cur.CreatedBy, "it is set by the server")
		fe.readOnly("updated_at", in.UpdatedAt, cur.UpdatedAt, "it is set by the server")
		fe.readOnly("version", in.Version, cur.Version, "it is set by the server")
		if in.OrganizationID != nil && *in.OrganizationID != cur.OrganizationID {
			fe.add("organization_id", "organization_id cannot change: create a new client for another organisation", *in.OrganizationID)
		}
	} else {
		fe.serverSet(sentField{"client_id", in.ClientID}, sentField{"created_at", in.CreatedAt}, sentField{"created_by", in.CreatedBy}, sentField{"updated_at", in.UpdatedAt}, sentField{"version", in.Version})
		if in.OrganizationID != nil && *in.OrganizationID != "" {
			c.OrganizationID = *in.OrganizationID
			if !ValidID(PrefixOrg, c.OrganizationID) {
				fe.add("organization_id", "organization_id does not name an organisation", c.OrganizationID)
			}
		}
	}
	c.Name = strings.TrimSpace(in.Name)
	if c.Name == "" {
		fe.add("name", "name is required (1 to 255 characters)", in.Name)
	} else {
		checkLen(&fe, "name", c.Name, 255)
	}
	c.Type = ClientConfidential
	if in.Type != nil {
		c.Type = *in.Type
		if c.Type != ClientConfidential && c.Type != ClientPublic {
			fe.add("type", "type must be confidential (holds a secret) or public (single-page and native apps)", c.Type)
		}
	}
	c.FirstParty = in.FirstParty != nil && *in.FirstParty
	c.RedirectURIs = redirectURIs(&fe, "redirect_uris", in.RedirectURIs, c.Type == ClientPublic)
	c.PostLogoutRedirectURIs = redirectURIs(&fe, "post_logout_redirect_uris", in.PostLogoutRedirectURIs, c.Type == ClientPublic)
	c.GrantTypes = grantTypes(&fe, c, in.GrantTypes)
	c.Scopes = scopeList(&fe, "scopes", in.Scopes, ClientScopes(), "not a scope a client may hold")
	if len(c.Scopes) == 0 && slices.Contains(c.GrantTypes, GrantClientCredentials) {
		fe.add("scopes", "scopes must list at least one scope for the client_credentials grant: a client does exactly what its scopes say", nil)
	}
	if in.AllowedScopes == nil && slices.Contains(c.GrantTypes, GrantAuthorizationCode) {
		c.AllowedScopes = []string{"openid", "profile", "email"}
	} else {
		c.AllowedScopes = scopeList(&fe, "allowed_scopes", in.AllowedScopes, AllowedScopeChoices(), "not a scope users may grant a client")
	}
	c.IDTokenAlg = AlgRS256
	if in.IDTokenAlg != nil {
		c.IDTokenAlg = *in.IDTokenAlg
		if c.IDTokenAlg != AlgRS256 && c.IDTokenAlg != AlgES256 {
			fe.add("id_token_signed_response_alg", "id_token_signed_response_alg must be RS256 or ES256", c.IDTokenAlg)
		}
	}
	return c, fe.err()
}

// grantTypes checks a client's grant types against its type and
// first_party; omitted, they follow from whether it has redirect URIs.
func grantTypes(fe *fieldErrors, c *OAuthClient, in []string) []string {
	if in == nil {
		if len(c.RedirectURIs) > 0 {
			return []string{GrantAuthorizationCode, GrantRefreshToken}
		}
		in = []string{GrantClientCredentials}
	}
	out := []string{}
	for i, g := range in {
		field := "grant_types[" + itoa(i) + "]"
		switch {
		case !slices.Contains(GrantTypes, g):
			fe.add(field, "not a grant type: use "+strings.Join(GrantTypes, ", "), g)
		case g == GrantClientCredentials && c.Type == ClientPublic:
			fe.add(field, "public clients have no secret, so they cannot use client_credentials: make the client confidential, or give it authorization_code and redirect_uris", g)
		case g == GrantPassword && !c.FirstParty:
			fe.add(field, "the password grant is only for first-party clients (first_party true): other apps use authorization_code, so users never give them their password", g)
		case !slices.Contains(out, g):
			out = append(out, g)
		}
	}
	if len(in) == 0 {
		fe.add("grant_types", "grant_types must list at least one grant type", nil)
	}
	if slices.Contains(out, GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		fe.add("redirect_uris", "redirect_uris must list at least one URI for the authorization_code grant", nil)
	}
	return out
}

// scopeList checks a list of scopes against the choices and drops
// repeats; never nil, so that answers show [].
func scopeList(fe *fieldErrors, field string, in, choices []string, why string) []string {
	out := []string{}
	for i, sc := range in {
		if !slices.Contains(choices, sc) {
			fe.add(field+"["+itoa(i)+"]", why+": use one of "+strings.Join(choices, ", "), sc)
		} else if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// redirectURIs checks a list of redirect URIs (RFC 8252 for native apps,
// RFC 9700 section 2.1 for exact matching) and drops repeats. They are
// kept as sent: the authorization endpoint compares them exactly.
func redirectURIs(fe *fieldErrors, field string, in []string, public bool) []string {
	if len(in) > maxRedirectURIs {
		fe.add(field, field+" may list at most "+itoa(maxRedirectURIs)+" URIs", len(in))
		return []string{}
	}
	out := []string{}
	for i, u := range in {
		if msg := checkRedirectURI(u, public); msg != "" {
			fe.add(field+"["+itoa(i)+"]", msg, u)
		} else if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// checkRedirectURI says what is wrong with one redirect URI, or "".
func checkRedirectURI(s string, public bool) string {
	if len(s) > maxRedirectURILen {
		return "a redirect URI must be at most " + itoa(maxRedirectURILen) + " characters"
	}
	if i := strings.IndexFunc(s, notURIChar); i >= 0 {
		return "a redirect URI may hold only the characters of RFC 3986: percent-encode " + strconv.QuoteRune([]rune(s[i:])[0])
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Scheme == "":
		return "not an absolute URI: give the scheme, as in https://app.example.com/callback"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "a redirect URI may not have a fragment (#…)"
	case u.User != nil:
		return "a redirect URI may not hold a user name or password"
	case u.Scheme == "https":
		if u.Host == "" {
			return "an https redirect URI needs a host"
		}
		return ""
	case u.Scheme == "http":
		if !loopbackHost(u.Hostname()) {
			return "http is only for loopback addresses (127.0.0.1, [::1], localhost): use https"
		}
		return ""
	case !strings.Contains(u.Scheme, "."):
		return "use https, http on a loopback address, or (public clients) a private-use scheme named after a domain you own, as in com.example.app:/callback"
	case !public:
		return "private-use schemes (" + u.Scheme + ":) are for native apps, which are public clients: use https, or make the client public"
	}
	return ""
}

// notURIChar reports whether r may not stand in a URI as it is (RFC 3986
// section 2: unreserved, reserved and "%").
func notURIChar(r rune) bool {
	return r > '~' || !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", r))
}

// loopbackHost reports whether host is one of the loopback names RFC 8252
// section 7.3 allows over http, spelt exactly so (not ::ffff:127.0.0.1 or
// 127.1), since redirect URIs are compared as text.
func loopbackHost(host string) bool {
	return host == "127.0.0.1" || host == "::1" || host == "localhost"
}

// Clone returns a deep copy of c.
func (c *OAuthClient) Clone() *OAuthClient {
	out := *c
	out.Scopes = slices.Clone(c.Scopes)
	out.Hash = slices.Clone(c.Hash)
	out.RedirectURIs = slices.Clone(c.RedirectURIs)
	out.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	out.GrantTypes = slices.Clone(c.GrantTypes)
	out.AllowedScopes = slices.Clone(c.AllowedScopes)
	return &out
}

// StoredHash is the hash a store keeps of the client's secret: empty,
// never nil (NULL), for a public client, which has none.
func (c *OAuthClient) StoredHash() []byte {
	if c.Hash == nil {
		return []byte{}
	}
	return c.Hash
}

// HasGrant reports whether the client may use a grant type.
func (c *OAuthClient) HasGrant(grant string) bool { return slices.Contains(c.GrantTypes, grant) }

// DecodeOAuthClient reads a client's stored document. A client stored
// before section 9's fields existed reads as what it was: a confidential
// client_credentials client with version 1.
func DecodeOAuthClient(doc []byte) (*OAuthClient, error) {
	var c OAuthClient
	if err := json.Unmarshal(doc, &c); err != nil {
		return nil, err
	}
	if c.Type == "" {
		c.Type = ClientConfidential
	}
	if c.GrantTypes == nil {
		c.GrantTypes = []string{GrantClientCredentials}
	}
	if c.IDTokenAlg == "" {
		c.IDTokenAlg = AlgRS256
	}
	if c.Version == 0 {
		c.Version = 1
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	for _, l := range []*[]string{&c.Scopes, &c.RedirectURIs, &c.PostLogoutRedirectURIs, &c.AllowedScopes} {
		if *l == nil {
			*l = []string{}
		}
	}
	return &c, nil
}
