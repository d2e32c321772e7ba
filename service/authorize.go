// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// The authorization endpoint (RFC 6749 section 4.1, OpenID Connect Core
// section 3.1): the request is checked here, the hosted pages
// (httpapi/signin.go) sign the user in and ask for consent, and the
// browser goes back to the client with a code that the token endpoint
// exchanges (codegrant.go).

// authCodeTTL is how long an authorization code may wait for its
// exchange (RFC 6749 section 4.1.2 advises at most 10 minutes).
const authCodeTTL = 60 * time.Second

// pendingTTL is how long a page of the sign-in may be answered.
const pendingTTL = 10 * time.Minute

// Secret prefixes of authorization codes and session cookies.
const (
	codePrefix    = "rac_"
	sessionPrefix = "rsc_"
)

// AuthorizeParams are an authorization request's parameters.
type AuthorizeParams struct {
	ClientID, RedirectURI, ResponseType, ResponseMode, Scope, State, Nonce string
	CodeChallenge, CodeChallengeMethod, Prompt, MaxAge, LoginHint          string
	// Request and RequestURI are OpenID request objects, which Roster
	// does not take.
	Request, RequestURI string
}

// AuthorizeError refuses an authorization request. Until the client and
// its redirect URI are known good it is shown to the user and never sent
// anywhere (RedirectURI ""): an open redirector would otherwise send
// users to any site with Roster's name on the link.
type AuthorizeError struct {
	Code        string // invalid_request, unauthorized_client, access_denied, unsupported_response_type, invalid_scope, login_required, consent_required, server_error
	Description string
	RedirectURI string
	State       string
}

func (e *AuthorizeError) Error() string { return e.Code + ": " + e.Description }

// RedirectURL returns the error as the client's redirect URI with error,
// error_description, state (RFC 6749 section 4.1.2.1) and the issuer's
// iss (authResponse).
func (e *AuthorizeError) RedirectURL(issuer string) string {
	return authResponse(e.RedirectURI, e.State, issuer, url.Values{"error": {e.Code}, "error_description": {e.Description}})
}

// authResponse returns an authorization response (a code or an error,
// in q) as the client's redirect URI with the request's state and the
// issuer's iss: RFC 9207, so that a client using several servers can
// tell which one answered (the mix-up attack).
func authResponse(redirectURI, state, issuer string, q url.Values) string {
	if state != "" {
		q.Set("state", state)
	}
	q.Set("iss", issuer)
	return withQuery(redirectURI, q)
}

// withQuery adds q to a URI's own query (a registered redirect URI may
// have one: RFC 6749 section 3.1.2).
func withQuery(uri string, q url.Values) string {
	sep := "?"
	if strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + q.Encode()
}

// AuthRequest is an authorization request that passed its checks. The
// pages carry it from step to step sealed (SealRequest), so that none of
// it can be changed on the way.
type AuthRequest struct {
	ClientID    string   `json:"c"`
	RedirectURI string   `json:"r"`
	Scopes      []string `json:"s"`
	State       string   `json:"st,omitempty"`
	Nonce       string   `json:"n,omitempty"`
	Challenge   string   `json:"pk,omitempty"` // the S256 code challenge
	Prompt      string   `json:"p,omitempty"`  // none, login or consent
	MaxAge      int      `json:"m"`            // seconds; -1: none asked
	LoginHint   string   `json:"h,omitempty"`  // the username to fill in
	// UserID is the user whose password the sign-in page accepted and
	// whose second factor is due.
	UserID  string `json:"u,omitempty"`
	Expires int64  `json:"x"`
}

// refuse returns an error that goes back to the client.
func (r *AuthRequest) refuse(code, desc string) *AuthorizeError {
	return &AuthorizeError{Code: code, Description: desc, RedirectURI: r.RedirectURI, State: r.State}
}

// Authorize checks an authorization request. It answers an
// *AuthorizeError for a bad one (shown to the user when RedirectURI is
// "", else sent back to the client).
func (s *Service) Authorize(ctx context.Context, p AuthorizeParams) (*AuthRequest, error) {
	if p.ClientID == "" || !roster.ValidID(roster.PrefixClient, p.ClientID) {
		return nil, &AuthorizeError{Code: "invalid_request", Description: "client_id is missing or is not a client of this server: the link that brought you here is broken"}
	}
	cl, err := s.store.FindOAuthClient(ctx, p.ClientID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, &AuthorizeError{Code: "invalid_request", Description: "there is no application with this client_id: the link that brought you here is broken or the application was removed"}
	} else if err != nil {
		return nil, err
	}
	if p.RedirectURI == "" || !slices.Contains(cl.RedirectURIs, p.RedirectURI) {
		return nil, &AuthorizeError{Code: "invalid_request", Description: "redirect_uri is missing or is not one registered for this application: nothing is sent back to it"}
	}
	r := &AuthRequest{ClientID: cl.ID, RedirectURI: p.RedirectURI, State: p.State, Nonce: p.Nonce, MaxAge: -1}
	if len(p.State) > 1024 {
		r.State = ""
		return nil, r.refuse("invalid_request", "state is over 1024 characters")
	}
	switch {
	case p.Request != "" || p.RequestURI != "":
		return nil, r.refuse("request_not_supported", "request objects are not supported: send the parameters in the query")
	case p.ResponseType != "code":
		return nil, r.refuse("unsupported_response_type", "response_type must be code")
	case p.ResponseMode != "" && p.ResponseMode != "query":
		return nil, r.refuse("invalid_request", "response_mode must be query")
	case !cl.HasGrant(roster.GrantAuthorizationCode):
		return nil, r.refuse("unauthorized_client", "this application may not use the authorization code flow (its grant_types)")
	case len(p.Nonce) > 1024:
		return nil, r.refuse("invalid_request", "nonce is over 1024 characters")
	}
	if len(p.LoginHint) <= 255 { // a longer one is no username: ignored
		r.LoginHint = p.LoginHint
	}
	if off, err := s.store.OrgDisabled(ctx, cl.OrganizationID); err != nil {
		return nil, err
	} else if off {
		return nil, r.refuse("unauthorized_client", "this application's organisation is disabled")
	}
	if r.Scopes, err = authorizeScopes(p.Scope, cl); err != nil {
		return nil, r.refuse("invalid_scope", err.Error())
	}
	if r.Challenge, err = pkceChallenge(p.CodeChallenge, p.CodeChallengeMethod, cl); err != nil {
		return nil, r.refuse("invalid_request", err.Error())
	}
	if r.Prompt, err = authorizePrompt(p.Prompt); err != nil {
		return nil, r.refuse("invalid_request", err.Error())
	}
	if p.MaxAge != "" {
		n, err := strconv.Atoi(p.MaxAge)
		if err != nil || n < 0 {
			return nil, r.refuse("invalid_request", "max_age must be a whole number of seconds")
		}
		r.MaxAge = n
	}
	return r, nil
}

// authorizeScopes reads the scope parameter: at least one scope (an empty
// list would mean every scope of the user's roles), each allowed to the
// client.
func authorizeScopes(scope string, cl *roster.OAuthClient) ([]string, error) {
	var out []string
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(cl.AllowedScopes, sc) && !consoleMayAsk(cl, sc) {
			return nil, errorf("scope %s is not one this application may ask for", sc)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, errorf("scope is missing: ask for openid (and profile, email, …) or an API scope")
	}
	return out, nil
}

// pkceChallenge checks a PKCE challenge (RFC 7636): S256 only ("plain"
// shows the verifier to whoever sees the request), required of public
// clients.
func pkceChallenge(challenge, method string, cl *roster.OAuthClient) (string, error) {
	if challenge == "" {
		if method != "" {
			return "", errorf("code_challenge_method without code_challenge")
		}
		if cl.Type == roster.ClientPublic {
			return "", errorf("this application must use PKCE: send code_challenge with code_challenge_method=S256")
		}
		return "", nil
	}
	if method != "S256" {
		return "", errorf("code_challenge_method must be S256 (plain is refused)")
	}
	if b, err := base64.RawURLEncoding.DecodeString(challenge); err != nil || len(b) != 32 {
		return "", errorf("code_challenge must be the base64url SHA-256 of the verifier (43 characters)")
	}
	return challenge, nil
}

// authorizePrompt reads prompt: none, login or consent (or none at all).
func authorizePrompt(prompt string) (string, error) {
	vals := strings.Fields(prompt)
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1 && slices.Contains(vals, "none"):
		return "", errorf("prompt=none cannot be combined with other values")
	}
	for _, v := range vals {
		if v != "none" && v != "login" && v != "consent" {
			return "", errorf("prompt %q is not supported: use none, login or consent", v)
		}
	}
	if slices.Contains(vals, "login") {
		return "login", nil // consent is asked anyway when it is due
	}
	return vals[0], nil
}

// errorf is a plain error whose text is shown to a user or a client.
func errorf(format string, args ...any) error {
	return roster.Errorf(roster.CodeInvalid, format, args...)
}

// SealRequest seals r for a hidden form field, bound to the browser's
// pre-session cookie (binding): a copied field is useless elsewhere.
func (s *Service) SealRequest(r *AuthRequest, binding string) (string, error) {
	if s.box == nil {
		return "", errorf("no secret key set")
	}
	c := *r
	c.Expires = time.Now().Add(pendingTTL).Unix()
	b, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.box.Seal(b, []byte("authorize:"+binding))), nil
}

// OpenRequest opens a sealed request; nil when it does not open (forged,
// from another browser) or has expired.
func (s *Service) OpenRequest(sealed, binding string) *AuthRequest {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || s.box == nil || len(sealed) > 8192 {
		return nil
	}
	plain, err := s.box.Open(raw, []byte("authorize:"+binding))
	if err != nil {
		return nil
	}
	var r AuthRequest
	if json.Unmarshal(plain, &r) != nil || time.Now().Unix() > r.Expires {
		return nil
	}
	return &r
}

// FormToken returns the CSRF token of the pages' forms for a browser's
// pre-session cookie: a MAC of it, so a page from elsewhere cannot make
// one.
func (s *Service) FormToken(binding string) string {
	if s.box == nil {
		return ""
	}
	m := s.box.MAC()
	m.Write([]byte("csrf:" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Branding is what the pages show of the client and its organisation.
type Branding struct {
	ClientName string
	OrgName    string
	LogoURL    string
	Accent     string // #rrggbb
	FirstParty bool
}

// Branding returns the branding of a client's organisation (the nearest
// ancestor's white label when it has none).
func (s *Service) Branding(ctx context.Context, clientID string) Branding {
	if !roster.ValidID(roster.PrefixClient, clientID) {
		return Branding{}
	}
	cl, err := s.store.FindOAuthClient(ctx, clientID)
	if err != nil {
		return Branding{}
	}
	b := s.orgBranding(ctx, cl.OrganizationID)
	b.ClientName, b.FirstParty = cl.Name, cl.FirstParty
	return b
}
