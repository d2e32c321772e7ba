// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster"
)

// Browser sessions of the hosted pages and the steps of a sign-in through
// them: password, second factor, consent, then a code for the client.

// Events of browser sign-in (PRODUCT.md section 9).
const (
	EventSessionCreated      = "session.created"
	EventSessionSignInFailed = "session.signin_failed"
	EventSessionRevoked      = "session.revoked"
	EventConsentGranted      = "consent.granted"
)

// Pages of the sign-in (Next.Page).
const (
	PageSignIn  = "signin"
	PageTOTP    = "totp"
	PageConsent = "consent"
)

// Next is what a sign-in does next: send the browser somewhere (the
// client, with a code or an error) or show a page.
type Next struct {
	Redirect string
	Page     string
	Request  *AuthRequest // what the page carries, sealed
	Ask      []string     // the scopes a consent page asks for
	// SessionSecret is set when this step signed the user in: the new
	// session's cookie.
	SessionSecret string
	Session       *roster.Session
}

// BrowserInfo is what a session records of the browser, and the cookie
// of the session the browser had before (Earlier, "" for none).
type BrowserInfo struct {
	UserAgent string
	Earlier   string
}

// newSession returns a browser session of a user, starting now, for the
// cookie secret.
func (s *Service) newSession(ctx context.Context, now time.Time, userID, secret string, amr []string, b BrowserInfo) *roster.Session {
	return &roster.Session{ID: roster.NewID(roster.PrefixSession), UserID: userID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.secure().cfg.SessionTTL), AuthTime: now, AMR: amr, UserAgent: truncate(b.UserAgent, 255),
		Address: roster.RequestInfoFrom(ctx).ClientIP, Hash: roster.HashKeySecret(secret)}
}

// endEarlierSession ends, in tx, the session the browser had before it
// signed in again as ses (created in tx): the new cookie replaces the old
// one, which would otherwise stay alive where no sign-out can reach it.
// It is revoked as a sign-out would, by c, with its tokens, unless it is
// the same sign-in again (sameSignIn): then ses takes over its tokens and
// codes, so the apps of a re-authentication (prompt=login, max_age) stay
// signed in, as with Keycloak and Auth0, and ending ses ends them.
func (s *Service) endEarlierSession(ctx context.Context, tx roster.Tx, c *roster.Caller, b BrowserInfo, ses *roster.Session) error {
	old, err := liveSession(ctx, tx, b.Earlier, tx.Now())
	if err != nil || old == nil {
		return err // an expired one is the janitor's
	}
	reason := "signed in again in the same browser"
	if sameSignIn(old, ses) {
		if err := tx.MoveSessionTokens(old.ID, ses.ID, tx.Now()); err != nil {
			return err
		}
		reason = "replaced by a new sign-in in the same browser"
	}
	return s.endSession(ctx, tx, c, old, reason)
}

// sameSignIn says whether a new session continues an earlier one: the
// same user, on the same admin's word when an SSO link opened either.
// A token's impersonator is its session's, so tokens never move into or
// out of an impersonation.
func sameSignIn(old, ses *roster.Session) bool {
	return old.UserID == ses.UserID && old.ImpersonatorID == ses.ImpersonatorID
}

// sessionDoc is a session as events show it: no cookie hash, and no
// address or user agent (the audit entry has the client address).
type sessionDoc struct {
	ID             string    `json:"id"`
	UserID         string    `json:"user_id"`
	ClientID       string    `json:"client_id,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	ExpiresAt      time.Time `json:"expires_at"`
	AuthTime       time.Time `json:"auth_time"`
	AMR            []string  `json:"amr"`
	ImpersonatorID string    `json:"impersonator_id,omitempty"`
}

func docOfSession(ses *roster.Session, clientID string) sessionDoc {
	return sessionDoc{ID: ses.ID, UserID: ses.UserID, ClientID: clientID, CreatedAt: ses.CreatedAt, ExpiresAt: ses.ExpiresAt,
		AuthTime: ses.AuthTime, AMR: ses.AMR, ImpersonatorID: ses.ImpersonatorID}
}

// BrowserSession returns the session behind a cookie's secret and its
// user; nil when there is none, it expired, or its user or organisation
// may no longer sign in (disabled mid-session: the next request ends it).
func (s *Service) BrowserSession(ctx context.Context, secret string) (*roster.Session, *roster.User, error) {
	ses, err := liveSession(ctx, s.store, secret, time.Now())
	if err != nil || ses == nil {
		return nil, nil, err
	}
	return s.sessionUser(ctx, s.store, ses)
}

// liveSession returns the session of a cookie's secret unless it has
// expired by now (nil: none).
func liveSession(ctx context.Context, r roster.Reader, secret string, now time.Time) (*roster.Session, error) {
	if secret == "" || len(secret) > 128 {
		return nil, nil
	}
	ses, err := r.FindSession(ctx, roster.HashKeySecret(secret))
	if roster.ErrorCode(err) == roster.CodeNotFound || (err == nil && !now.Before(ses.ExpiresAt)) {
		return nil, nil
	}
	return ses, err
}

// sessionUser returns a session with its user, or nothing when the user
// is gone or may no longer sign in.
func (s *Service) sessionUser(ctx context.Context, r roster.Reader, ses *roster.Session) (*roster.Session, *roster.User, error) {
	u, err := r.FindUser(ctx, ses.UserID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	if off, err := s.refused(ctx, u); err != nil || off {
		return nil, nil, err
	}
	return ses, u, nil
}

// Continue decides the next step of a request for a browser with this
// session (nil: none).
func (s *Service) Continue(ctx context.Context, r *AuthRequest, ses *roster.Session, u *roster.User) (*Next, error) {
	tooOld := ses != nil && r.MaxAge >= 0 && time.Since(ses.AuthTime) > time.Duration(r.MaxAge)*time.Second
	if ses == nil || r.Prompt == "login" || tooOld {
		if r.Prompt == "none" {
			return nil, r.refuse("login_required", "the user is not signed in")
		}
		return &Next{Page: PageSignIn, Request: r}, nil
	}
	cl, err := s.store.FindOAuthClient(ctx, r.ClientID)
	if err != nil {
		return nil, asNotFound(err, "OAuth client")
	}
	ask, err := s.consentDue(ctx, cl, u, r)
	if err != nil {
		return nil, err
	}
	if len(ask) > 0 {
		if r.Prompt == "none" {
			return nil, r.refuse("consent_required", "the user has not allowed this application yet")
		}
		return &Next{Page: PageConsent, Request: r, Ask: ask}, nil
	}
	return s.issueCode(ctx, r, ses)
}

// consentDue returns the scopes a user has yet to allow a client: none
// for the product's own apps (first_party), all of them for
// prompt=consent.
func (s *Service) consentDue(ctx context.Context, cl *roster.OAuthClient, u *roster.User, r *AuthRequest) ([]string, error) {
	if r.Prompt == "consent" {
		return r.Scopes, nil
	}
	if cl.FirstParty {
		return nil, nil
	}
	c, err := s.store.FindConsent(ctx, u.ID, cl.ID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return r.Scopes, nil
	} else if err != nil {
		return nil, err
	}
	var ask []string
	for _, sc := range r.Scopes {
		if !slices.Contains(c.Scopes, sc) {
			ask = append(ask, sc)
		}
	}
	return ask, nil
}

// issueCode stores a new authorization code and sends the browser back
// to the client with it. The session is seen in use (last_seen_at); one
// that ended meanwhile signs in again.
func (s *Service) issueCode(ctx context.Context, r *AuthRequest, ses *roster.Session) (*Next, error) {
	secret := roster.NewTokenSecret(codePrefix)
	err := s.store.Update(ctx, func(tx roster.Tx) error {
		now := tx.Now()
		if err := tx.TouchSession(ses.ID, now); err != nil {
			return err
		}
		return tx.CreateAuthCode(&roster.AuthCode{Hash: roster.HashKeySecret(secret), ClientID: r.ClientID, UserID: ses.UserID, SessionID: ses.ID,
			Family: roster.NewID(roster.PrefixToken), RedirectURI: r.RedirectURI, Scopes: r.Scopes, Nonce: r.Nonce, CodeChallenge: r.Challenge,
			AuthTime: ses.AuthTime, CreatedAt: now, ExpiresAt: now.Add(authCodeTTL)})
	})
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return &Next{Page: PageSignIn, Request: r}, nil
	} else if err != nil {
		return nil, err
	}
	return &Next{Redirect: authResponse(r.RedirectURI, r.State, s.Issuer(), url.Values{"code": {secret}})}, nil
}

// PageSignIn is the sign-in page's password step: under the token
// endpoint's limits (passwordSignIn), then a second factor when the user
// has one, or a new session and the next step.
func (s *Service) PageSignIn(ctx context.Context, r *AuthRequest, name, password string, b BrowserInfo) (*Next, error) {
	if name == "" || password == "" {
		return nil, errBadCredentials
	}
	si, err := s.passwordSignIn(ctx, name, password, "")
	if errors.Is(err, errNeedSecondFactor) {
		next := *r
		next.UserID = si.user.ID
		return &Next{Page: PageTOTP, Request: &next}, nil
	}
	if err != nil {
		s.recordFailure(ctx, si, r, err)
		return nil, err
	}
	return s.signedIn(ctx, r, si, []string{roster.AMRPassword}, b)
}

// PageSecondFactor is the second-factor step, for the user whose password
// the request carries as accepted.
func (s *Service) PageSecondFactor(ctx context.Context, r *AuthRequest, code string, b BrowserInfo) (*Next, error) {
	if r.UserID == "" {
		return nil, errBadCredentials
	}
	si, err := s.secondFactorSignIn(ctx, r.UserID, code)
	if err != nil {
		s.recordFailure(ctx, si, r, err)
		return nil, err
	}
	next := *r
	next.UserID = ""
	return s.signedIn(ctx, &next, si, []string{roster.AMRPassword, roster.AMROTP}, b)
}

// signedIn opens a session for a sign-in, in the transaction that
// completes it, then continues the request.
func (s *Service) signedIn(ctx context.Context, r *AuthRequest, si *signIn, amr []string, b BrowserInfo) (*Next, error) {
	secret := roster.NewTokenSecret(sessionPrefix)
	var ses *roster.Session
	err := s.store.Update(ctx, func(tx roster.Tx) error {
		if err := si.finish(ctx, s, tx); err != nil {
			return err
		}
		c := &roster.Caller{User: si.user}
		ses = s.newSession(ctx, tx.Now(), si.user.ID, secret, amr, b)
		if err := tx.CreateSession(ses); err != nil {
			return err
		}
		if err := s.endEarlierSession(ctx, tx, c, b, ses); err != nil {
			return err
		}
		return s.recordCredential(ctx, tx, c, EventSessionCreated, "session", ses.ID, si.user.OrganizationID,
			nil, docOfSession(ses, r.ClientID))
	})
	if err != nil {
		s.settle(ctx, si.att, false)
		return nil, err
	}
	// The user has just signed in: prompt=login and max_age are met.
	next := *r
	if next.Prompt == "login" {
		next.Prompt = ""
	}
	out, err := s.Continue(ctx, &next, ses, si.user)
	if out != nil {
		out.SessionSecret, out.Session = secret, ses
	}
	return out, err
}

// signInFailure is the document of a session.signin_failed event.
type signInFailure struct {
	UserID   string `json:"user_id"`
	ClientID string `json:"client_id"`
	Step     string `json:"step" enum:"password,second_factor"`
}

// recordFailure writes session.signin_failed for a refused sign-in of a
// known account (unknown names are only counted, not recorded).
func (s *Service) recordFailure(ctx context.Context, si *signIn, r *AuthRequest, err error) {
	if si == nil || si.user == nil {
		return
	}
	reason, step := "wrong username or password, or the account may not sign in", "password"
	switch {
	case errors.Is(err, errWrongTOTP):
		reason, step = "wrong or reused second-factor code", "second_factor"
	case !errors.Is(err, errBadCredentials):
		return
	}
	u := si.user
	werr := s.store.Update(ctx, func(tx roster.Tx) error {
		e, err := newEvent(ctx, nil, EventSessionSignInFailed, "user", u.ID, u.OrganizationID, nil, signInFailure{UserID: u.ID, ClientID: r.ClientID, Step: step})
		if err != nil {
			return err
		}
		e.Reason = reason
		return s.appendEvent(tx, e)
	})
	if werr != nil {
		s.log.Error("recording a failed sign-in", "error", werr, "request_id", roster.RequestInfoFrom(ctx).ID)
	}
}

// consentDoc is the document of a consent.granted event.
type consentDoc struct {
	UserID   string   `json:"user_id"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
}

// PageConsent records the consent page's answer: allow stores the
// consent and continues; deny sends access_denied back to the client.
func (s *Service) PageConsent(ctx context.Context, r *AuthRequest, ses *roster.Session, u *roster.User, allow bool) (*Next, error) {
	if !allow {
		return nil, r.refuse("access_denied", "the user did not allow the application access")
	}
	err := s.store.Update(ctx, func(tx roster.Tx) error {
		granted := slices.Clone(r.Scopes)
		prev, err := tx.FindConsent(ctx, u.ID, r.ClientID)
		if err == nil {
			for _, sc := range prev.Scopes {
				if !slices.Contains(granted, sc) {
					granted = append(granted, sc)
				}
			}
		} else if roster.ErrorCode(err) != roster.CodeNotFound {
			return err
		}
		if err := tx.PutConsent(&roster.Consent{UserID: u.ID, ClientID: r.ClientID, Scopes: granted, UpdatedAt: tx.Now()}); err != nil {
			return err
		}
		var before any
		if prev != nil {
			before = consentDoc{UserID: u.ID, ClientID: r.ClientID, Scopes: prev.Scopes}
		}
		return s.recordCredential(ctx, tx, SessionCaller(u, ses), EventConsentGranted, "consent", r.ClientID, u.OrganizationID,
			before, consentDoc{UserID: u.ID, ClientID: r.ClientID, Scopes: granted})
	})
	if err != nil {
		return nil, err
	}
	return s.issueCode(ctx, r, ses)
}

// EndSession ends a browser session and revokes the tokens issued in it,
// with its session.revoked event. Ending one that is gone does nothing.
func (s *Service) EndSession(ctx context.Context, c *roster.Caller, ses *roster.Session) error {
	return s.store.Update(ctx, func(tx roster.Tx) error { return s.endSession(ctx, tx, c, ses, "") })
}

// endSession is EndSession in tx; reason, when not "", says why on the
// event.
func (s *Service) endSession(ctx context.Context, tx roster.Tx, c *roster.Caller, ses *roster.Session, reason string) error {
	gone, err := tx.DeleteSession(ses.ID)
	if err != nil || !gone {
		return err
	}
	u, err := tx.FindUser(ctx, ses.UserID)
	if err != nil {
		return err
	}
	e, err := newEvent(ctx, c, EventSessionRevoked, "session", ses.ID, u.OrganizationID, docOfSession(ses, ""), nil)
	if err != nil {
		return err
	}
	e.Reason = reason
	return s.appendEvent(tx, e)
}

// SignInRefusal names a refused page step for the pages: "credentials"
// (wrong username or password, or an account that may not sign in),
// "code" (a wrong second-factor code), or "" for anything else.
func SignInRefusal(err error) string {
	switch {
	case errors.Is(err, errBadCredentials):
		return "credentials"
	case errors.Is(err, errWrongTOTP):
		return "code"
	}
	return ""
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
