// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/rosterhq/roster"
)

// Forgot password (PRODUCT.md section 9): the hosted pages mail a link
// to the account's address; the link's token (kind "password_reset" in
// tokens, by its SHA-256) works once and for an hour, and setting a
// password with it ends every session and token of the user. Whether an
// account exists is never told: the request answers the same either way.

// EventUserPasswordResetRequested records a reset link mailed to a user
// (the user as it is, empty patch; the audit entry has the address that
// asked). The reset itself is a user.password_changed.
const EventUserPasswordResetRequested = "user.password_reset_requested"

const (
	tokenPasswordReset  = "password_reset"
	passwordResetPrefix = "rpr_"
	// PasswordResetTTL is how long a reset link works.
	PasswordResetTTL = time.Hour
)

// passwordResetKey counts the reset mails of an account, and of a client
// address, in the table of sign-in failures (like email changes: every
// node counts them and the janitor purges them).
func passwordResetKey(userID string) string { return "password-reset:" + userID }
func resetAddressKey(ip string) string      { return "password-reset:" + addressKey(ip) }

// errResetLink refuses a reset link that was used, expired, mistyped or
// is for an account that may no longer sign in.
var errResetLink = roster.Invalid(roster.FieldError{Location: "query.token",
	Message: "the link is not valid: it was used already, has expired or was mistyped; ask for a new one"})

// ResetLinkInvalid reports whether err refuses the reset link itself
// (rather than the new password).
func ResetLinkInvalid(err error) bool { return errors.Is(err, errResetLink) }

// RequestPasswordReset mails a reset link to the account named by a
// username or email, when there is one that may sign in and it has not
// had EmailChangeLimit mails within EmailChangeWindow. It answers nil in
// all those cases alike; only the client address's limit (the sign-in
// pages' per-address limit) is a *RateLimitError. A mail sent writes
// user.password_reset_requested. clientID is the app
// the user was signing in to ("" for none): the page's branding. lang is
// the language of the mail when the user has no preference of its own.
func (s *Service) RequestPasswordReset(ctx context.Context, name, clientID, lang string) error {
	if name == "" || len(name) > 255 {
		return nil
	}
	u, err := s.findSignInUser(ctx, name)
	if err != nil {
		return err
	}
	if off, err := s.refused(ctx, u); err != nil || off || (u != nil && u.Email == "") {
		u = nil
	}
	secret := roster.NewTokenSecret(passwordResetPrefix)
	cfg := s.secure().cfg
	return s.store.Update(ctx, func(tx roster.Tx) error {
		if ip := roster.RequestInfoFrom(ctx).ClientIP; ip != "" {
			if err := countRequest(ctx, tx, resetAddressKey(ip), cfg.AddressFailures, cfg.AddressWindow,
				"too many password resets asked from this address: try again later"); err != nil {
				return err
			}
		}
		if u == nil {
			return nil
		}
		// Over the account's limit the answer is the same, so that the
		// limit tells nothing about the account; only no mail goes.
		var limited *RateLimitError
		if err := countRequest(ctx, tx, passwordResetKey(u.ID), cfg.EmailChangeLimit, cfg.EmailChangeWindow, ""); errors.As(err, &limited) {
			return nil
		} else if err != nil {
			return err
		}
		if err := s.queueResetMail(ctx, tx, u, clientID, secret, Language(u.Preferences.Language, lang)); err != nil {
			return err
		}
		return s.recordUser(ctx, tx, nil, EventUserPasswordResetRequested, u, u)
	})
}

// queueResetMail stores a reset token for u and mails its link, in tx.
func (s *Service) queueResetMail(ctx context.Context, tx roster.Tx, u *roster.User, clientID, secret, lang string) error {
	if _, err := tx.FindOAuthClient(ctx, clientID); err != nil {
		clientID = "" // none, or gone: the link's pages show the user's organisation
	}
	now := tx.Now()
	t := &roster.Token{ID: roster.NewID(roster.PrefixToken), Kind: tokenPasswordReset, Family: roster.NewID(roster.PrefixToken), UserID: u.ID,
		ClientID: clientID, Scopes: []string{}, CreatedAt: now, ExpiresAt: now.Add(PasswordResetTTL), Hash: roster.HashKeySecret(secret)}
	if err := tx.CreateToken(t); err != nil {
		return err
	}
	link := s.Issuer() + "/oauth2/password/reset?reset=" + url.QueryEscape(secret)
	return s.queueMailOf(ctx, tx, "password_reset", resetMailTemplates[lang], u.Email, u,
		mailData{Email: u.Email, Link: link, Expires: expiresTextIn(lang, t.ExpiresAt)})
}

// PasswordReset is a reset link's token as the reset page sees it.
type PasswordReset struct {
	User     *roster.User
	ClientID string // the app the user was signing in to, or ""
}

// FindPasswordReset returns what a reset link is for, or an error that
// ResetLinkInvalid recognises when it no longer works.
func (s *Service) FindPasswordReset(ctx context.Context, secret string) (*PasswordReset, error) {
	if secret == "" || len(secret) > 512 {
		return nil, errResetLink
	}
	t, u, err := s.findLinkToken(ctx, secret, tokenPasswordReset, errResetLink)
	if err != nil {
		return nil, err
	}
	if off, err := s.refused(ctx, u); err != nil {
		return nil, err
	} else if off {
		return nil, errResetLink
	}
	return &PasswordReset{User: u, ClientID: t.ClientID}, nil
}

// PasswordRuleError refuses a new password that breaks a rule of the
// policy (PasswordRule); it unwraps to the API's field error.
type PasswordRuleError struct {
	Rule  string
	Limit int
	err   error
}

func (e *PasswordRuleError) Error() string { return e.err.Error() }
func (e *PasswordRuleError) Unwrap() error { return e.err }

// ResetPassword sets a new password with a reset link's token. In one
// transaction it uses the token (a second use fails), sets the hash, ends
// every browser session of the user (session.revoked each) and deletes
// its tokens (access, refresh, other reset and invitation links), clears
// its failed sign-ins, and writes user.password_changed; a mailed link
// shows that the user reads the address, so the email counts as verified.
func (s *Service) ResetPassword(ctx context.Context, secret, password string) (*roster.User, error) {
	pr, err := s.FindPasswordReset(ctx, secret)
	if err != nil {
		return nil, err
	}
	if rule, limit := s.PasswordRule(pr.User, password); rule != "" {
		return nil, &PasswordRuleError{Rule: rule, Limit: limit, err: ruleError(rule, limit)}
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	var next *roster.User
	err = s.update(ctx, func(tx roster.Tx) error {
		cur, err := lockUser(ctx, tx, pr.User.ID)
		if err != nil {
			return err
		}
		if fresh, _, err := tx.UseToken(roster.HashKeySecret(secret)); err != nil {
			return err
		} else if !fresh {
			return errResetLink
		}
		if err := tx.PutPasswordHash(cur.ID, hash); err != nil {
			return err
		}
		caller := &roster.Caller{User: cur}
		if err := s.endUserSessions(ctx, tx, caller, cur); err != nil {
			return err
		}
		if _, err := tx.DeleteUserTokens(cur.ID, ""); err != nil {
			return err
		}
		if err := tx.ClearSignInFailures(accountKey(cur.Username), accountKey(cur.Email)); err != nil {
			return err
		}
		if next, err = markEmailVerified(tx, cur); err != nil {
			return err
		}
		return s.recordUser(ctx, tx, caller, EventUserPasswordChanged, cur, next)
	})
	return next, err
}

// endUserSessions ends every browser session of u in tx, each with its
// session.revoked event.
func (s *Service) endUserSessions(ctx context.Context, tx roster.Tx, c *roster.Caller, u *roster.User) error {
	// Deleting what a page lists moves the keyset on, so each page is
	// read from the start.
	for {
		sessions, _, err := tx.FindUserSessions(ctx, u.ID, tx.Now(), roster.Page{Limit: 100})
		if err != nil || len(sessions) == 0 {
			return err
		}
		ended := 0
		for _, ses := range sessions {
			gone, err := tx.DeleteSession(ses.ID)
			if err != nil {
				return err
			}
			if gone {
				ended++
				if err := s.recordCredential(ctx, tx, c, EventSessionRevoked, "session", ses.ID, u.OrganizationID, docOfSession(ses, ""), nil); err != nil {
					return err
				}
			}
		}
		if ended == 0 {
			return nil
		}
	}
}
