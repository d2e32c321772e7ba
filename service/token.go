// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
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
	case "":
		return nil, oauthErr("invalid_request", "grant_type is missing: use password, refresh_token or client_credentials")
	}
	return nil, oauthErr("unsupported_grant_type", "grant_type must be password, refresh_token or client_credentials")
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
	return parseScope(scope, allowed)
}

func (s *Service) passwordGrant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	if req.Username == "" || req.Password == "" {
		return nil, oauthErr("invalid_request", "username and password are required for the password grant")
	}
	// Every refusal that could tell something about the password (it is
	// wrong, or right for an account that may not sign in) is this one
	// answer, and counts as a failed sign-in.
	bad := oauthErr("invalid_grant", "the username or password is wrong")
	if len(req.Username) > 255 || len(req.Password) > 1024 {
		return nil, bad
	}
	// The attempt counts as a failure from here (signin.go) unless it is
	// taken back: when it succeeds, or is never decided.
	att, err := s.reserveAttempt(ctx, req.Username)
	if err != nil {
		return nil, asOAuth(err)
	}
	failed := false
	defer func() {
		if !failed {
			if err := s.releaseAttempt(ctx, att); err != nil {
				s.log.ErrorContext(ctx, "taking back a sign-in attempt", "error", err, "request_id", roster.RequestInfoFrom(ctx).ID)
			}
		}
	}()
	// Every path verifies one hash, so the time taken does not tell
	// whether the username exists.
	u, err := s.store.FindUserByUsername(ctx, req.Username)
	if err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
		return nil, err
	}
	stored := ""
	if u != nil {
		if stored, err = s.store.FindPasswordHash(ctx, u.ID); err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return nil, err
		}
	}
	// A disabled account (or organisation) is refused exactly like a
	// wrong password, and found out before the hash is checked, so that
	// neither the answer nor its time (nor whether the second factor is
	// asked for) says whether the password was right.
	disabled := false
	if u != nil {
		if err := s.usable(ctx, u); err != nil {
			if _, refused := err.(*OAuthError); !refused {
				return nil, err
			}
			disabled = true
		}
	}
	ok, rehash, err := s.checkStoredPassword(ctx, req.Password, stored)
	if err != nil {
		return nil, asOAuth(err)
	}
	if !ok || stored == "" || disabled {
		failed = true
		s.attemptFailed(att, "password")
		return nil, bad
	}
	if err := s.checkTOTP(ctx, u, req); err != nil {
		failed = errors.Is(err, errWrongTOTP)
		if failed {
			s.attemptFailed(att, "totp")
			err = oauthErr("invalid_grant", "the one-time code is wrong or was already used")
		}
		return nil, err
	}
	scopes, err := parseScope(req.Scope, roster.ScopesForRank(u.BestRank()))
	if err != nil {
		return nil, err
	}
	// An imported hash (bcrypt, PBKDF2, …) is replaced with argon2id at
	// the first successful sign-in, in its transaction. A busy hash gate
	// only puts that off to a later sign-in.
	upgraded := ""
	if rehash {
		if upgraded, err = s.hashPassword(ctx, req.Password); err != nil {
			s.log.WarnContext(ctx, "imported password hash kept for now", "user_id", u.ID, "error", err, "request_id", roster.RequestInfoFrom(ctx).ID)
			upgraded = ""
		}
	}
	var out *TokenResponse
	err = s.store.Update(ctx, func(tx roster.Tx) error {
		// The success takes back the address's reservation and ends the
		// account's failures.
		if err := att.release(tx); err != nil {
			return err
		}
		if upgraded != "" {
			if err := s.upgradeHash(ctx, tx, u.ID, stored, upgraded); err != nil {
				return err
			}
		}
		if err := tx.ClearSignInFailures(accountKey(req.Username)); err != nil {
			return err
		}
		out, err = s.issue(tx, u.ID, "", roster.NewID(roster.PrefixToken), scopes, true)
		return err
	})
	if err == nil {
		att = nil // released in the transaction
	}
	return out, err
}

// errWrongTOTP is checkTOTP's refusal of a wrong code, which counts as a
// failed sign-in.
var errWrongTOTP = errors.New("the one-time code is wrong or was already used")

// checkTOTP asks a user with a second factor for its code (or a recovery
// code) in the totp field.
func (s *Service) checkTOTP(ctx context.Context, u *roster.User, req *TokenRequest) error {
	t, err := s.findTOTP(ctx, s.store, u.ID)
	if roster.ErrorCode(err) == roster.CodeNotFound || (err == nil && !t.Confirmed) {
		return nil
	} else if err != nil {
		return err
	}
	if req.TOTP == "" {
		return oauthErr("invalid_grant", "this account has two-factor sign-in: send the code from the authenticator app (or a recovery code) as totp")
	}
	if len(req.TOTP) > 64 {
		return errWrongTOTP
	}
	ok, err := s.secondFactor(ctx, u.ID, t, req.TOTP)
	if err != nil {
		return err
	}
	if !ok {
		return errWrongTOTP // counted by the attempt's reservation
	}
	return nil
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

// issue stores a new access token (and refresh token) of a family.
func (s *Service) issue(tx roster.Tx, userID, clientID, family string, scopes []string, refresh bool) (*TokenResponse, error) {
	cfg := s.secure().cfg
	now := tx.Now()
	access := roster.NewTokenSecret(accessPrefix)
	t := &roster.Token{ID: roster.NewID(roster.PrefixToken), Kind: roster.TokenAccess, Family: family, UserID: userID, ClientID: clientID,
		Scopes: scopes, CreatedAt: now, ExpiresAt: now.Add(cfg.AccessTokenTTL), Hash: roster.HashKeySecret(access)}
	if err := tx.CreateToken(t); err != nil {
		return nil, err
	}
	out := &TokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(cfg.AccessTokenTTL / time.Second), Scope: strings.Join(scopes, " ")}
	if refresh {
		secret := roster.NewTokenSecret(refreshPrefix)
		r := &roster.Token{ID: roster.NewID(roster.PrefixToken), Kind: roster.TokenRefresh, Family: family, UserID: userID,
			Scopes: scopes, CreatedAt: now, ExpiresAt: now.Add(cfg.RefreshTokenTTL), Hash: roster.HashKeySecret(secret)}
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
	scopes, err := refreshScopes(t.Scopes, req.Scope, u)
	if err != nil {
		return nil, err
	}
	var out *TokenResponse
	reused := false
	err = s.store.Update(ctx, func(tx roster.Tx) error {
		fresh, err := tx.UseToken(hash)
		if err != nil {
			return err
		}
		if !fresh {
			// A refresh token used twice has leaked (or the client is
			// broken): end the whole sign-in.
			reused = true
			_, err := tx.DeleteTokenFamily(t.Family)
			return err
		}
		out, err = s.issue(tx, u.ID, "", t.Family, scopes, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	if reused {
		s.log.WarnContext(ctx, "refresh token reused: its sign-in is revoked", "user_id", u.ID, "family", t.Family, "request_id", roster.RequestInfoFrom(ctx).ID)
		return nil, oauthErr("invalid_grant", "the refresh token was already used: every token of this sign-in is revoked, sign in again")
	}
	return out, nil
}

func (s *Service) clientGrant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	bad := &OAuthError{Code: "invalid_client", Description: "client authentication failed: check client_id and client_secret", Status: 401, Basic: req.ClientBasic}
	if req.ClientID == "" || req.ClientSecret == "" {
		bad.Description = "client_id and client_secret are required (HTTP Basic or form fields)"
		return nil, bad
	}
	// Reserved like a password sign-in (signin.go), against the address.
	att, err := s.reserveAttempt(ctx, "")
	if err != nil {
		return nil, asOAuth(err)
	}
	failed := false
	defer func() {
		if !failed {
			if err := s.releaseAttempt(ctx, att); err != nil {
				s.log.ErrorContext(ctx, "taking back a sign-in attempt", "error", err, "request_id", roster.RequestInfoFrom(ctx).ID)
			}
		}
	}()
	var cl *roster.OAuthClient
	if roster.ValidID(roster.PrefixClient, req.ClientID) {
		if cl, err = s.store.FindOAuthClient(ctx, req.ClientID); err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return nil, err
		}
	}
	given := sha256.Sum256([]byte(req.ClientSecret))
	want := make([]byte, len(given))
	if cl != nil {
		want = cl.Hash
	}
	if cl == nil || subtle.ConstantTimeCompare(given[:], want) != 1 {
		failed = true
		s.attemptFailed(att, "client_secret")
		return nil, bad
	}
	off, err := s.store.OrgDisabled(ctx, cl.OrganizationID)
	if err != nil {
		return nil, err
	}
	if off {
		return nil, &OAuthError{Code: "unauthorized_client", Description: "the client's organisation is disabled", Status: 400}
	}
	scopes := slices.Clone(cl.Scopes)
	if len(strings.Fields(req.Scope)) > 0 { // a blank scope is no scope
		if scopes, err = parseScope(req.Scope, cl.Scopes); err != nil {
			return nil, err
		}
	}
	var out *TokenResponse
	err = s.store.Update(ctx, func(tx roster.Tx) (err error) {
		out, err = s.issue(tx, "", cl.ID, roster.NewID(roster.PrefixToken), scopes, false)
		return err
	})
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
	if t.ClientID != "" {
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
		return clientCaller(cl, t), nil
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
	return &roster.Caller{User: u, KeyID: t.ID, Scopes: t.Scopes, Family: t.Family}, nil
}

// clientCaller is the caller of a client's token: a stand-in user with no
// id that is admin of the client's organisation only, limited by the
// token's scopes (never empty, so they always limit).
func clientCaller(cl *roster.OAuthClient, t *roster.Token) *roster.Caller {
	roles := []string{"admin"}
	u := &roster.User{OrganizationID: cl.OrganizationID, Status: roster.StatusEnabled, Roles: roles,
		Memberships: []roster.Membership{{OrganizationID: cl.OrganizationID, Roles: roles}}}
	scopes := t.Scopes
	if len(scopes) == 0 {
		scopes = cl.Scopes
	}
	return &roster.Caller{User: u, KeyID: t.ID, Scopes: scopes, ClientID: cl.ID, Family: t.Family}
}
