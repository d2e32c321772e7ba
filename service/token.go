// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// The OAuth 2.0 token endpoint (RFC 6749) and revocation (RFC 7009).
// Access and refresh tokens are random secrets stored as their SHA-256,
// like API keys, so that revoking one (or disabling its user or
// organisation) takes effect at the next request.

// Secret prefixes say what a secret is at a glance (and in a leak scan).
const (
	accessPrefix       = "rat_"
	refreshPrefix      = "rrt_"
	clientSecretPrefix = "rcs_"
)

// TokenRequest is a token request's form fields.
type TokenRequest struct {
	GrantType    string
	Username     string
	Password     string
	TOTP         string
	RefreshToken string
	Scope        string
	ClientID     string
	ClientSecret string
	// Code, RedirectURI and CodeVerifier are the authorization_code
	// grant's.
	Code         string
	RedirectURI  string
	CodeVerifier string
	// ClientBasic says the client authenticated with HTTP Basic, so an
	// invalid_client answer carries WWW-Authenticate.
	ClientBasic bool
}

// TokenResponse is a successful answer (RFC 6749 section 5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type" enum:"Bearer"`
	ExpiresIn    int    `json:"expires_in" doc:"Seconds until the access token expires."`
	RefreshToken string `json:"refresh_token,omitempty" doc:"Only for the password and refresh_token grants; each use returns a new one."`
	Scope        string `json:"scope,omitempty" doc:"Space-separated scopes, when the token is limited to some."`
	IDToken      string `json:"id_token,omitempty" doc:"OpenID Connect ID token (a signed JWT), for the authorization_code grant and refreshes of its tokens when the openid scope was granted."`
}

// OAuthError is an error answer of RFC 6749 section 5.2.
type OAuthError struct {
	Code        string // invalid_request, invalid_client, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope
	Description string
	// Status is 400, or 401 for invalid_client, or 429 with RetryAfter.
	Status     int
	RetryAfter int
	Basic      bool // send WWW-Authenticate: Basic
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

func oauthErr(code, desc string) *OAuthError {
	return &OAuthError{Code: code, Description: desc, Status: 400}
}

// asOAuth turns a sign-in limit into the token endpoint's answer.
func asOAuth(err error) error {
	if rl, ok := err.(*RateLimitError); ok {
		status := 429
		if rl.Unavailable {
			status = 503
		}
		return &OAuthError{Code: "temporarily_unavailable", Description: rl.Message, Status: status, RetryAfter: rl.RetryAfterSeconds()}
	}
	return err
}

// Token answers a token request.
func (s *Service) Token(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	switch req.GrantType {
	case "password":
		return s.passwordGrant(ctx, req)
	case "refresh_token":
		return s.refreshGrant(ctx, req)
	case "client_credentials":
		return s.clientGrant(ctx, req)
	case "authorization_code":
		return s.codeGrant(ctx, req)
	case "":
		return nil, oauthErr("invalid_request", "grant_type is missing: use authorization_code, password, refresh_token or client_credentials")
	}
	return nil, oauthErr("unsupported_grant_type", "grant_type must be authorization_code, password, refresh_token or client_credentials")
}

// parseScope reads a scope parameter; every scope must be in allowed.
func parseScope(scope string, allowed []string) ([]string, error) {
	out := []string{}
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(allowed, sc) {
			return nil, oauthErr("invalid_scope", "scope "+sc+" is unknown or beyond what this account may have")
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// refreshScopes returns the scopes of a refreshed token (RFC 6749
// section 6): the family's granted scopes when scope is blank, else the
// scopes asked, each of which must be granted (or, for an unrestricted
// family, allowed by the user's roles). A refresh never widens: a scope
// beyond the grant is invalid_scope, and the answer is never empty (an
// empty list would mean every scope of the roles) unless the grant was.
func refreshScopes(granted []string, scope string, u *roster.User) ([]string, error) {
	if len(strings.Fields(scope)) == 0 {
		return slices.Clone(granted), nil
	}
	if len(granted) == 0 {
		granted = roster.ScopesForRank(u.BestRank())
	}
	// Scopes nest: a grant of users:write:all may narrow to
	// users:write:members or users:write:self.
	grant := &roster.Caller{Scopes: granted}
	var allowed []string
	for _, sc := range roster.AllScopes {
		if grant.HasScope(sc) {
			allowed = append(allowed, sc)
		}
	}
	for _, sc := range OpenIDScopes { // they do not nest
		if slices.Contains(granted, sc) {
			allowed = append(allowed, sc)
		}
	}
	return parseScope(scope, allowed)
}

func (s *Service) passwordGrant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	if req.Username == "" || req.Password == "" {
		return nil, oauthErr("invalid_request", "username and password are required for the password grant")
	}
	si, err := s.passwordSignIn(ctx, req.Username, req.Password, req.TOTP)
	switch {
	case errors.Is(err, errBadCredentials):
		return nil, oauthErr("invalid_grant", "the username or password is wrong")
	case errors.Is(err, errNeedSecondFactor):
		return nil, oauthErr("invalid_grant", "this account has two-factor sign-in: send the code from the authenticator app (or a recovery code) as totp")
	case errors.Is(err, errWrongTOTP):
		return nil, oauthErr("invalid_grant", "the one-time code is wrong or was already used")
	case err != nil:
		return nil, asOAuth(err)
	}
	// The OpenID scopes let a first-party app read the user's claims at
	// userinfo with the token.
	scopes, err := parseScope(req.Scope, append(roster.ScopesForRank(si.user.BestRank()), OpenIDScopes...))
	if err != nil {
		s.settle(ctx, si.att, false)
		return nil, err
	}
	var out *TokenResponse
	err = s.store.Update(ctx, func(tx roster.Tx) (err error) {
		if err := si.finish(ctx, s, tx); err != nil {
			return err
		}
		out, err = s.issue(tx, grant{userID: si.user.ID, family: roster.NewID(roster.PrefixToken), scopes: scopes, refresh: true})
		return err
	})
	if err != nil {
		s.settle(ctx, si.att, false)
	}
	return out, err
}

// usable refuses tokens to a disabled user or a user of a disabled
// organisation.
func (s *Service) usable(ctx context.Context, u *roster.User) error {
	if u.Status != roster.StatusEnabled {
		return oauthErr("invalid_grant", "this account is disabled: ask an administrator")
	}
	off, err := s.store.OrgDisabled(ctx, u.OrganizationID)
	if err != nil {
		return err
	}
	if off {
		return oauthErr("invalid_grant", "this account's organisation is disabled: ask an administrator")
	}
	return nil
}

// grant is what a token endpoint grant issues: tokens of a family, for a
// user (and the client it signed in to, in a browser session) or for a
// service client alone.
type grant struct {
	userID, clientID, sessionID, family string
	scopes                              []string
	refresh                             bool // a refresh token as well
}

// issue stores a new access token (and refresh token) of a family.
func (s *Service) issue(tx roster.Tx, g grant) (*TokenResponse, error) {
	cfg := s.secure().cfg
	now := tx.Now()
	access := roster.NewTokenSecret(accessPrefix)
	t := &roster.Token{ID: roster.NewID(roster.PrefixToken), Kind: roster.TokenAccess, Family: g.family, UserID: g.userID, ClientID: g.clientID,
		SessionID: g.sessionID, Scopes: g.scopes, CreatedAt: now, ExpiresAt: now.Add(cfg.AccessTokenTTL), Hash: roster.HashKeySecret(access)}
	if err := tx.CreateToken(t); err != nil {
		return nil, err
	}
	out := &TokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(cfg.AccessTokenTTL / time.Second), Scope: strings.Join(g.scopes, " ")}
	if g.refresh {
		secret := roster.NewTokenSecret(refreshPrefix)
		r := &roster.Token{ID: roster.NewID(roster.PrefixToken), Kind: roster.TokenRefresh, Family: g.family, UserID: g.userID, ClientID: g.clientID,
			SessionID: g.sessionID, Scopes: g.scopes, CreatedAt: now, ExpiresAt: now.Add(cfg.RefreshTokenTTL), Hash: roster.HashKeySecret(secret)}
		if err := tx.CreateToken(r); err != nil {
			return nil, err
		}
		out.RefreshToken = secret
	}
	return out, nil
}

func (s *Service) refreshGrant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	if req.RefreshToken == "" {
		return nil, oauthErr("invalid_request", "refresh_token is required for the refresh_token grant")
	}
	bad := oauthErr("invalid_grant", "the refresh token is unknown, expired or revoked: sign in again")
	if len(req.RefreshToken) > 512 {
		return nil, bad
	}
	hash := roster.HashKeySecret(req.RefreshToken)
	t, err := s.store.FindToken(ctx, hash)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	if t.Kind != roster.TokenRefresh || !time.Now().Before(t.ExpiresAt) {
		return nil, bad
	}
	u, err := s.store.FindUser(ctx, t.UserID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	if err := s.usable(ctx, u); err != nil {
		return nil, err
	}
	var cl *roster.OAuthClient
	var att *attempt
	if t.ClientID != "" {
		if cl, att, err = s.appClient(ctx, t, req); err != nil {
			return nil, err
		}
	}
	defer func() { s.settle(ctx, att, false) }() // unless the transaction took it back
	scopes, err := refreshScopes(t.Scopes, req.Scope, u)
	if err != nil {
		return nil, err
	}
	var out *TokenResponse
	reused := false
	err = s.store.Update(ctx, func(tx roster.Tx) error {
		if err := att.release(tx); err != nil {
			return err
		}
		fresh, session, err := tx.UseToken(hash)
		if err != nil {
			return err
		}
		t.SessionID = session // moved meanwhile by a re-sign-in of the same user, maybe
		if !fresh {
			// A refresh token used twice has leaked (or the client is
			// broken): end the whole sign-in.
			reused = true
			_, err := tx.DeleteTokenFamily(t.Family)
			return err
		}
		out, err = s.issue(tx, grant{userID: u.ID, clientID: t.ClientID, sessionID: t.SessionID, family: t.Family, scopes: scopes, refresh: true})
		return err
	})
	if err != nil {
		return nil, err
	}
	att = nil // taken back with the refresh
	if reused {
		s.log.WarnContext(ctx, "refresh token reused: its sign-in is revoked", "user_id", u.ID, "family", t.Family, "request_id", roster.RequestInfoFrom(ctx).ID)
		return nil, oauthErr("invalid_grant", "the refresh token was already used: every token of this sign-in is revoked, sign in again")
	}
	if cl != nil && slices.Contains(scopes, ScopeOpenID) {
		if out.IDToken, err = s.idToken(ctx, cl, u, scopes, s.tokenSession(ctx, t), "", out.AccessToken); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tokenSession returns the session a token was issued in, nil when it
// has none or it ended.
func (s *Service) tokenSession(ctx context.Context, t *roster.Token) *roster.Session {
	if t.SessionID == "" {
		return nil
	}
	ses, err := s.store.FindSessionByID(ctx, t.SessionID)
	if err != nil {
		return nil
	}
	return ses
}

func (s *Service) clientGrant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	cl, att, err := s.authenticateClient(ctx, req, roster.GrantClientCredentials)
	if err != nil {
		return nil, err
	}
	defer func() { s.settle(ctx, att, false) }() // unless the transaction took it back
	scopes := slices.Clone(cl.Scopes)
	if len(strings.Fields(req.Scope)) > 0 { // a blank scope is no scope
		if scopes, err = parseScope(req.Scope, cl.Scopes); err != nil {
			return nil, err
		}
	}
	var out *TokenResponse
	err = s.store.Update(ctx, func(tx roster.Tx) (err error) {
		if err := att.release(tx); err != nil {
			return err
		}
		out, err = s.issue(tx, grant{clientID: cl.ID, family: roster.NewID(roster.PrefixToken), scopes: scopes})
		return err
	})
	if err == nil {
		att = nil // taken back with the issue
	}
	if err == nil && out.Scope == "" {
		out.Scope = strings.Join(scopes, " ")
	}
	return out, err
}

// Revoke ends the sign-in a token belongs to (RFC 7009): its access and
// refresh tokens. Unknown tokens are not an error.
func (s *Service) Revoke(ctx context.Context, token string) error {
	if token == "" {
		return oauthErr("invalid_request", "token is required")
	}
	if len(token) > 512 {
		return nil
	}
	t, err := s.store.FindToken(ctx, roster.HashKeySecret(token))
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil
	} else if err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx roster.Tx) error {
		_, err := tx.DeleteTokenFamily(t.Family)
		return err
	})
}

// authenticateToken returns the caller behind an access token, or nil
// when token is not one.
func (s *Service) authenticateToken(ctx context.Context, token string) (*roster.Caller, error) {
	bad := roster.Errorf(roster.CodeUnauthorized, "the bearer token is not valid: it is unknown, expired or revoked")
	t, err := s.store.FindToken(ctx, roster.HashKeySecret(token))
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if t.Kind != roster.TokenAccess || !time.Now().Before(t.ExpiresAt) {
		return nil, bad
	}
	if t.UserID == "" { // a service client's own token
		cl, err := s.store.FindOAuthClient(ctx, t.ClientID)
		if roster.ErrorCode(err) == roster.CodeNotFound {
			return nil, bad
		} else if err != nil {
			return nil, err
		}
		if off, err := s.store.OrgDisabled(ctx, cl.OrganizationID); err != nil {
			return nil, err
		} else if off {
			return nil, roster.Errorf(roster.CodeUnauthorized, "the organisation of the client behind this token is disabled")
		}
		caller := clientCaller(cl, t)
		if caller == nil {
			return nil, roster.Errorf(roster.CodeUnauthorized, "the bearer token is not valid: its client no longer has the client_credentials grant or any of the token's scopes")
		}
		return caller, nil
	}
	u, err := s.store.FindUser(ctx, t.UserID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	if u.Status != roster.StatusEnabled {
		return nil, roster.Errorf(roster.CodeUnauthorized, "the user behind this token is disabled")
	}
	if off, err := s.store.OrgDisabled(ctx, u.OrganizationID); err != nil {
		return nil, err
	} else if off {
		return nil, roster.Errorf(roster.CodeUnauthorized, "the organisation of the user behind this token is disabled")
	}
	c := &roster.Caller{User: u, KeyID: t.ID, Scopes: t.Scopes, Family: t.Family}
	if t.SessionID != "" {
		imp, err := s.sessionImpersonator(ctx, t.SessionID)
		if err != nil {
			return nil, err
		}
		c.ImpersonatorID = imp
	}
	return c, nil
}

// clientCaller is the caller of a client's token: a stand-in user with no
// id that is admin of the client's organisation only, limited by the
// token's scopes that the client still holds (never empty, so they always
// limit). A change of the client takes effect at once: nil when the
// client lost the grant or every scope of the token.
func clientCaller(cl *roster.OAuthClient, t *roster.Token) *roster.Caller {
	scopes := t.Scopes
	if len(scopes) == 0 {
		scopes = cl.Scopes
	}
	scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return !slices.Contains(cl.Scopes, sc) })
	if len(scopes) == 0 || !cl.HasGrant(roster.GrantClientCredentials) {
		return nil
	}
	return &roster.Caller{User: clientStandIn(cl), KeyID: t.ID, Scopes: scopes, ClientID: cl.ID, Family: t.Family}
}

// clientStandIn is the user a client acts as: one with no id that is
// admin of the client's organisation only.
func clientStandIn(cl *roster.OAuthClient) *roster.User {
	roles := []string{"admin"}
	return &roster.User{OrganizationID: cl.OrganizationID, Status: roster.StatusEnabled, Roles: roles,
		Memberships: []roster.Membership{{OrganizationID: cl.OrganizationID, Roles: roles}}}
}
