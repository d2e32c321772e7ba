// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"github.com/rosterhq/roster"
)

// The token endpoint's authorization_code grant (RFC 6749 section 4.1.3,
// RFC 7636 for PKCE) and the ID tokens of OpenID Connect Core section 2.

// errCodeRefused is the one invalid_grant of a code that cannot be
// exchanged, whatever the reason: a client learns nothing from the
// difference.
var errCodeRefused = oauthErr("invalid_grant", "the authorization code is unknown, expired, already used, or was issued to another application or redirect_uri, or the code_verifier does not match")

func (s *Service) codeGrant(ctx context.Context, req *TokenRequest) (*TokenResponse, error) {
	if req.Code == "" {
		return nil, oauthErr("invalid_request", "code is required for the authorization_code grant")
	}
	cl, att, err := s.authenticateClient(ctx, req, roster.GrantAuthorizationCode)
	if err != nil {
		return nil, err
	}
	defer func() { s.settle(ctx, att, false) }() // unless the transaction took it back
	if len(req.Code) > 512 {
		return nil, errCodeRefused
	}
	var (
		out    *TokenResponse
		code   *roster.AuthCode
		ses    *roster.Session
		u      *roster.User
		reused bool
	)
	// Taking the code, checking it and issuing its tokens is one
	// transaction, so that a second use, which deletes the code's family,
	// always comes after the first use's tokens exist.
	err = s.store.Update(ctx, func(tx roster.Tx) error {
		out, code, ses, u, reused = nil, nil, nil, nil, false
		if err := att.release(tx); err != nil {
			return err
		}
		c, err := tx.TakeAuthCode(roster.HashKeySecret(req.Code))
		if roster.ErrorCode(err) == roster.CodeNotFound {
			return nil
		} else if err != nil {
			return err
		}
		if c.Used {
			// RFC 6749 section 4.1.2: a code used twice revokes what
			// the first use gave.
			reused = true
			_, err := tx.DeleteTokenFamily(c.Family)
			return err
		}
		if !s.codeMatches(c, cl, req) {
			return nil // the code stays used
		}
		if ses, u, err = s.codeHolder(ctx, tx, c); err != nil || u == nil {
			return err
		}
		code = c
		out, err = s.issue(tx, grant{userID: u.ID, clientID: cl.ID, sessionID: c.SessionID, family: c.Family, scopes: c.Scopes,
			refresh: cl.HasGrant(roster.GrantRefreshToken) && slices.Contains(c.Scopes, ScopeOfflineAccess)})
		return err
	})
	if err != nil {
		return nil, err
	}
	att = nil // taken back with the exchange
	if reused {
		s.log.Warn("authorization code used twice: the tokens it gave are revoked", "client_id", cl.ID, "request_id", roster.RequestInfoFrom(ctx).ID)
	}
	if out == nil {
		return nil, errCodeRefused
	}
	if slices.Contains(code.Scopes, ScopeOpenID) {
		if out.IDToken, err = s.idToken(ctx, cl, u, code.Scopes, ses, code.Nonce, out.AccessToken); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// codeMatches checks a code against the exchange: same client, same
// redirect_uri, not expired, and the PKCE verifier of its challenge.
func (s *Service) codeMatches(c *roster.AuthCode, cl *roster.OAuthClient, req *TokenRequest) bool {
	if c.ClientID != cl.ID || c.RedirectURI != req.RedirectURI || !time.Now().Before(c.ExpiresAt) {
		return false
	}
	if c.CodeChallenge == "" {
		// A verifier without a challenge is refused (RFC 9700 section
		// 2.1.1): the code may have been injected.
		return req.CodeVerifier == ""
	}
	v := req.CodeVerifier
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(v))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(c.CodeChallenge)) == 1
}

// codeHolder returns the session and user of a code, as long as the
// session lasts and the user may still sign in (nil user otherwise).
func (s *Service) codeHolder(ctx context.Context, tx roster.Tx, c *roster.AuthCode) (*roster.Session, *roster.User, error) {
	ses, err := tx.FindSessionByID(ctx, c.SessionID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	return s.sessionUser(ctx, tx, ses)
}

// authenticateClient authenticates the client of a token request for a
// grant: confidential clients by their secret (HTTP Basic or form),
// public ones by client_id alone. Secrets are checked under the
// per-address sign-in limit, like passwords. A client without the grant
// in its grant_types is unauthorized_client. grant "" (introspection)
// checks no grant and takes confidential clients only.
//
// A right secret's attempt stays reserved: the caller takes it back in
// the transaction that issues its tokens (attempt.release), or settles it
// (settle with failed false) when that never commits or it writes
// nothing. A token request then costs one write, not three (reserve,
// take back, issue). The attempt is nil for a public client.
func (s *Service) authenticateClient(ctx context.Context, req *TokenRequest, grant string) (*roster.OAuthClient, *attempt, error) {
	bad := &OAuthError{Code: "invalid_client", Description: "client authentication failed: check client_id and client_secret", Status: 401, Basic: req.ClientBasic}
	if req.ClientID == "" {
		bad.Description = "client_id is required (with client_secret, by HTTP Basic or form fields, for a confidential client)"
		return nil, nil, bad
	}
	var cl *roster.OAuthClient
	var err error
	if roster.ValidID(roster.PrefixClient, req.ClientID) {
		if cl, err = s.store.FindOAuthClient(ctx, req.ClientID); err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return nil, nil, err
		}
	}
	if cl != nil && cl.Type == roster.ClientPublic {
		switch {
		case grant == "":
			// Introspection: only a client with a secret authenticates.
			bad.Description = "a public client cannot authenticate here: it has no secret"
			return nil, nil, bad
		case grant == roster.GrantClientCredentials:
			// RFC 6749 section 4.4: the grant is for confidential clients only.
			return nil, nil, &OAuthError{Code: "unauthorized_client", Description: "a public client cannot use the client_credentials grant: it has no secret", Status: 400}
		case req.ClientSecret != "":
			bad.Description = "this is a public client: send client_id only, no secret"
			return nil, nil, bad
		}
		if err := s.clientMay(ctx, cl, grant); err != nil {
			return nil, nil, err
		}
		return cl, nil, nil
	}
	if req.ClientSecret == "" {
		bad.Description = "client_id and client_secret are required (HTTP Basic or form fields)"
		return nil, nil, bad
	}
	// Reserved like a password sign-in (signin.go), against the address.
	att, err := s.reserveAttempt(ctx, "")
	if err != nil {
		return nil, nil, asOAuth(err)
	}
	given := sha256.Sum256([]byte(req.ClientSecret))
	want := make([]byte, len(given))
	if cl != nil {
		want = cl.Hash
	}
	ok := cl != nil && subtle.ConstantTimeCompare(given[:], want) == 1
	if !ok {
		s.attemptFailed(att, "client_secret") // the failure stays counted
		return nil, nil, bad
	}
	if err := s.clientMay(ctx, cl, grant); err != nil {
		s.settle(ctx, att, false)
		return nil, nil, err
	}
	return cl, att, nil
}

// clientMay refuses a grant the client does not have, and every grant to
// a client whose organisation is disabled.
func (s *Service) clientMay(ctx context.Context, cl *roster.OAuthClient, grant string) error {
	if grant != "" && !cl.HasGrant(grant) {
		return &OAuthError{Code: "unauthorized_client", Description: "this client may not use the " + grant + " grant: add it to the client's grant_types", Status: 400}
	}
	off, err := s.store.OrgDisabled(ctx, cl.OrganizationID)
	if err != nil {
		return err
	}
	if off {
		return &OAuthError{Code: "unauthorized_client", Description: "the client's organisation is disabled", Status: 400}
	}
	return nil
}

// idToken signs an ID token (OpenID Connect Core section 2) with the
// client's algorithm: the user's claims the scopes cover, and those of
// the sign-in (auth_time, sid, amr) while its session lasts.
func (s *Service) idToken(ctx context.Context, cl *roster.OAuthClient, u *roster.User, scopes []string, ses *roster.Session, nonce, accessToken string) (string, error) {
	claims, err := s.UserClaims(ctx, u, scopes)
	if err != nil {
		return "", err
	}
	now := time.Now()
	sum := sha256.Sum256([]byte(accessToken))
	claims["iss"] = s.Issuer()
	claims["sub"] = u.ID
	claims["aud"] = cl.ID
	claims["azp"] = cl.ID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(s.secure().cfg.AccessTokenTTL).Unix()
	claims["at_hash"] = base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if ses != nil {
		claims["sid"] = ses.ID
		claims["auth_time"] = ses.AuthTime.Unix()
		claims["amr"] = ses.AMR
		if ses.ImpersonatorID != "" {
			claims["act"] = impersonatorClaim(ses)
		}
	}
	return s.SignJWT(ctx, cl.IDTokenAlg, claims)
}

// appClient returns the client of a refresh token issued to an app, after
// authenticating the request as that client: an app's refresh token
// refreshes for that app only.
// Its attempt stays reserved as authenticateClient's does.
func (s *Service) appClient(ctx context.Context, t *roster.Token, req *TokenRequest) (*roster.OAuthClient, *attempt, error) {
	cl, att, err := s.authenticateClient(ctx, req, roster.GrantRefreshToken)
	var oe *OAuthError
	if errors.As(err, &oe) && oe.Code == "invalid_client" && req.ClientID == "" {
		oe.Description = "this refresh token was issued to an application: authenticate as it (client_id, and client_secret for a confidential client)"
	}
	if err != nil {
		return nil, nil, err
	}
	if cl.ID != t.ClientID {
		s.settle(ctx, att, false) // the client did authenticate
		return nil, nil, oauthErr("invalid_grant", "the refresh token was issued to another application")
	}
	return cl, att, nil
}
