// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"net/url"
	"time"

	"github.com/rosterhq/roster"
)

// Invitations: a user created with send_invite gets a mail with a link
// to choose a password. The link's token is a random secret stored as its
// SHA-256 (a token of kind "invite"); it works once and expires.

// tokenInvite is the kind of an invitation token.
const tokenInvite = "invite"

// queueInvite makes an invitation token for u and mails the link, in tx.
func (s *Service) queueInvite(ctx context.Context, tx roster.Tx, u *roster.User) error {
	secret := roster.NewTokenSecret("riv_")
	now := tx.Now()
	exp := now.Add(s.secure().cfg.InviteTTL)
	t := &roster.Token{ID: roster.NewID(roster.PrefixToken), Kind: tokenInvite, Family: roster.NewID(roster.PrefixToken), UserID: u.ID,
		Scopes: []string{}, CreatedAt: now, ExpiresAt: exp, Hash: roster.HashKeySecret(secret)}
	if err := tx.CreateToken(t); err != nil {
		return err
	}
	return s.queueMail(ctx, tx, "invite", u.Email, u, mailData{Email: u.Email, Expires: expiresText(exp),
		Link: s.link("/set-password?token=" + url.QueryEscape(secret))})
}

// SetPasswordInput is the body of POST /v1/auth/set-password.
type SetPasswordInput struct {
	Token       string `json:"token" required:"true" writeOnly:"true" doc:"The token of the invitation link."`
	NewPassword string `json:"new_password" required:"true" writeOnly:"true" doc:"8 to 63 characters by default; not the email or username, nor a common password."`
}

// SetPasswordWithInvite sets the password of an invited user. The link
// works once; using it also shows that the user reads mail at its
// address, so the email counts as verified.
func (s *Service) SetPasswordWithInvite(ctx context.Context, in *SetPasswordInput) error {
	bad := roster.Invalid(roster.FieldError{Location: "body.token", Message: "the link is not valid: it was used already, has expired or was mistyped; ask for a new invitation"})
	if in.Token == "" || len(in.Token) > 512 {
		return bad
	}
	hash := roster.HashKeySecret(in.Token)
	t, u, err := s.findLinkToken(ctx, in.Token, tokenInvite, bad)
	if err != nil {
		return err
	}
	if err := s.checkPassword(u, in.NewPassword); err != nil {
		return err
	}
	pw, err := s.hashPassword(ctx, in.NewPassword)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx roster.Tx) error {
		cur, err := lockUser(ctx, tx, t.UserID)
		if err != nil {
			return err
		}
		fresh, _, err := tx.UseToken(hash)
		if err != nil {
			return err
		}
		if !fresh {
			return bad
		}
		if err := tx.PutPasswordHash(cur.ID, pw); err != nil {
			return err
		}
		next, err := markEmailVerified(tx, cur)
		if err != nil {
			return err
		}
		return s.recordUser(ctx, tx, nil, EventUserPasswordChanged, cur, next)
	})
}

// findLinkToken returns the token of a kind behind a mailed link's
// secret, unused and unexpired, and its user; bad when there is none.
func (s *Service) findLinkToken(ctx context.Context, secret, kind string, bad error) (*roster.Token, *roster.User, error) {
	t, err := s.store.FindToken(ctx, roster.HashKeySecret(secret))
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil, bad
	} else if err != nil {
		return nil, nil, err
	}
	if t.Kind != kind || t.Used || !time.Now().Before(t.ExpiresAt) {
		return nil, nil, bad
	}
	u, err := s.store.FindUser(ctx, t.UserID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil, bad
	} else if err != nil {
		return nil, nil, err
	}
	return t, u, nil
}

// markEmailVerified sets cur's email verified, in tx, and returns the
// user as it is then: a mailed link that worked shows that the user
// reads mail at the address.
func markEmailVerified(tx roster.Tx, cur *roster.User) (*roster.User, error) {
	if cur.EmailVerified {
		return cur, nil
	}
	next := cur.Clone()
	next.EmailVerified, next.Version, next.UpdatedAt = true, cur.Version+1, tx.Now()
	return next, tx.UpdateUser(next)
}
