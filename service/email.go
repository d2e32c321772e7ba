// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math/big"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/validate"
)

// Email and username changes. Users change their own email through a
// verified flow: a code and a link go to the NEW address, and the change
// happens only when one of them comes back. An admin of the user may
// change it directly, giving a reason that the event records. Either way
// the old address is told, and the username follows the email where it
// was equal to it.

// EventUserEmailChanged is written when a user's email changes.
const EventUserEmailChanged = "user.email_changed"

// maxEmailChangeAttempts is how many wrong codes end a pending change.
const maxEmailChangeAttempts = 5

// EmailChangeInput is the body of POST /v1/users/{id}/email-change.
type EmailChangeInput struct {
	Email  string  `json:"email" required:"true" format:"email" maxLength:"255" doc:"The new address."`
	Reason *string `json:"reason,omitempty" maxLength:"500" doc:"Admins changing another user's email directly: why (recorded in the event). Users changing their own send none."`
}

// EmailConfirmInput is the body of POST /v1/users/{id}/email-change/confirm.
type EmailConfirmInput struct {
	Code  string `json:"code,omitempty" writeOnly:"true" doc:"The 6-digit code mailed to the new address."`
	Token string `json:"token,omitempty" writeOnly:"true" doc:"Or the token of the mailed link."`
}

// PendingEmailChange is the answer to a request: what waits for
// confirmation.
type PendingEmailChange struct {
	Email     string    `json:"email"`
	ExpiresAt time.Time `json:"expires_at"`
}

// UsernameInput is the body of POST /v1/users/{id}/username.
type UsernameInput struct {
	Username string  `json:"username" required:"true" minLength:"1" maxLength:"255"`
	Reason   *string `json:"reason,omitempty" maxLength:"500" doc:"Why, recorded in the event."`
}

func codeHash(userID, code string) []byte {
	h := sha256.Sum256([]byte(userID + ":" + strings.TrimSpace(code)))
	return h[:]
}

func checkReason(reason *string, required bool) (string, error) {
	r := ""
	if reason != nil {
		r = strings.TrimSpace(*reason)
	}
	switch {
	case r == "" && required:
		return "", roster.Invalid(roster.FieldError{Location: "body.reason", Message: "reason is required when an admin changes another user's email: say why, it is recorded"})
	case len(r) > 500:
		return "", roster.Invalid(roster.FieldError{Location: "body.reason", Message: "reason must be at most 500 characters"})
	}
	return r, nil
}

// RequestEmailChange starts a verified email change (users for
// themselves: the answer is the pending change) or, for an admin of
// another user giving a reason, changes it at once (the answer is the
// user).
func (s *Service) RequestEmailChange(ctx context.Context, c *roster.Caller, ref string, in *EmailChangeInput) (*PendingEmailChange, *roster.User, error) {
	u, self, err := s.selfOrAdmin(ctx, c, ref, "change this user's email")
	if err != nil {
		return nil, nil, err
	}
	email := strings.TrimSpace(in.Email)
	if err := validate.Email(email); err != nil || len(email) > 255 {
		msg := "email must be a valid address of at most 255 characters"
		if err != nil {
			msg = err.Error()
		}
		return nil, nil, roster.Invalid(roster.FieldError{Location: "body.email", Message: msg, Value: in.Email})
	}
	if strings.EqualFold(email, u.Email) {
		return nil, nil, roster.Invalid(roster.FieldError{Location: "body.email", Message: "that is already the user's email", Value: in.Email})
	}
	if !self {
		reason, err := checkReason(in.Reason, true)
		if err != nil {
			return nil, nil, err
		}
		out, err := s.applyEmail(ctx, c, u.ID, email, false, reason, nil)
		return nil, out, err
	}
	if in.Reason != nil {
		return nil, nil, roster.Invalid(roster.FieldError{Location: "body.reason", Message: "reason is for admins changing another user's email; your own change is confirmed by mail instead"})
	}
	code, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return nil, nil, err
	}
	codeText := fmt.Sprintf("%06d", code.Int64())
	token := roster.NewTokenSecret("rec_")
	var pending *PendingEmailChange
	err = s.store.Update(ctx, func(tx roster.Tx) error {
		cfg := s.secure().cfg
		if err := countRequest(ctx, tx, emailChangeKey(u.ID), cfg.EmailChangeLimit, cfg.EmailChangeWindow,
			"too many email changes asked for this account: try again later"); err != nil {
			return err
		}
		now := tx.Now()
		p := &roster.EmailChange{UserID: u.ID, Email: email, CodeHash: codeHash(u.ID, codeText), TokenHash: roster.HashKeySecret(token),
			ExpiresAt: now.Add(s.secure().cfg.EmailChangeTTL), CreatedAt: now}
		if err := tx.PutEmailChange(p); err != nil {
			return err
		}
		pending = &PendingEmailChange{Email: email, ExpiresAt: p.ExpiresAt}
		return s.queueMail(ctx, tx, "email_change", email, u, mailData{Email: email, Code: codeText, Expires: expiresText(p.ExpiresAt),
			Link: s.link("/confirm-email?user=" + url.QueryEscape(u.ID) + "&token=" + url.QueryEscape(token))})
	})
	if err != nil {
		return nil, nil, err
	}
	return pending, nil, nil
}

// ConfirmEmailChange applies the caller's own pending email change when
// the code or the link's token matches.
func (s *Service) ConfirmEmailChange(ctx context.Context, c *roster.Caller, ref string, in *EmailConfirmInput) (*roster.User, error) {
	u, err := s.findVisibleUser(ctx, s.store, c, ref)
	if err != nil {
		return nil, err
	}
	if u.ID != c.User.ID {
		return nil, forbidden("only the user itself confirms its email change, with the code mailed to the new address")
	}
	if err := needScope(c, roster.ScopeUsersWriteSelf); err != nil {
		return nil, err
	}
	if (in.Code == "") == (in.Token == "") {
		return nil, roster.Invalid(roster.FieldError{Location: "body.code", Message: "send the code from the mail (or the token of its link), one of the two"})
	}
	p, err := s.store.FindEmailChange(ctx, u.ID)
	if roster.ErrorCode(err) == roster.CodeNotFound || (err == nil && !time.Now().Before(p.ExpiresAt)) {
		return nil, roster.Errorf(roster.CodeConflict, "there is no pending email change, or it expired: start one with POST /v1/users/{id}/email-change")
	} else if err != nil {
		return nil, err
	}
	var ok bool
	if in.Code != "" {
		ok = subtle.ConstantTimeCompare(codeHash(u.ID, in.Code), p.CodeHash) == 1
	} else {
		ok = len(in.Token) <= 512 && subtle.ConstantTimeCompare(roster.HashKeySecret(in.Token), p.TokenHash) == 1
	}
	if !ok {
		var n int
		err := s.store.Update(ctx, func(tx roster.Tx) (err error) {
			if n, err = tx.FailEmailChange(u.ID); err != nil || n < maxEmailChangeAttempts {
				return err
			}
			return tx.DeleteEmailChange(u.ID)
		})
		if err != nil {
			return nil, err
		}
		msg := "the code does not match: check the mail sent to the new address"
		if n >= maxEmailChangeAttempts {
			msg = "too many wrong codes: the change is cancelled; start again with POST /v1/users/{id}/email-change"
		}
		return nil, roster.Invalid(roster.FieldError{Location: "body.code", Message: msg})
	}
	return s.applyEmail(ctx, c, u.ID, p.Email, true, "", p)
}

// applyEmail changes a user's email (and the username where it was the
// email), writes user.email_changed and tells the old address, in one
// transaction. With pending set it must still be the stored pending change.
func (s *Service) applyEmail(ctx context.Context, c *roster.Caller, userID, email string, verified bool, reason string, pending *roster.EmailChange) (*roster.User, error) {
	var out *roster.User
	err := s.update(ctx, func(tx roster.Tx) error {
		cur, err := lockUser(ctx, tx, userID)
		if err != nil {
			return err
		}
		if pending != nil {
			p, err := tx.FindEmailChange(ctx, userID)
			if err != nil || p.Email != pending.Email || string(p.CodeHash) != string(pending.CodeHash) {
				return roster.Errorf(roster.CodeConflict, "the pending email change was replaced meanwhile: use the newest mail")
			}
		}
		// Whatever was mailed to the old address (or waits for a
		// confirmation) is revoked with it: a pending change and
		// invitation links.
		if err := tx.DeleteEmailChange(userID); err != nil {
			return err
		}
		if _, err := tx.DeleteUserTokensOfKind(userID, tokenInvite); err != nil {
			return err
		}
		next := cur.Clone()
		if strings.EqualFold(cur.Username, cur.Email) {
			next.Username = email
		}
		next.Email, next.EmailVerified, next.Version, next.UpdatedAt = email, verified, cur.Version+1, tx.Now()
		if err := tx.UpdateUser(next); err != nil {
			return err
		}
		e, err := userEvent(ctx, c, EventUserEmailChanged, cur, next)
		if err != nil {
			return err
		}
		e.Reason = reason
		if err := s.appendEvent(tx, e); err != nil {
			return err
		}
		out = next
		return s.queueMail(ctx, tx, "email_changed", cur.Email, cur, mailData{Email: email})
	})
	return out, err
}

// ChangeUsername sets a user's username. Only an admin of the user may
// (an owner for admins and owners).
func (s *Service) ChangeUsername(ctx context.Context, c *roster.Caller, ref string, in *UsernameInput) (*roster.User, error) {
	u, err := s.findVisibleUser(ctx, s.store, c, ref)
	if err != nil {
		return nil, err
	}
	const what = "change this user's username"
	if err := s.actOnUser(ctx, s.store, c, u, what); err != nil {
		return nil, err
	}
	if err := needScope(c, roster.ScopeUsersWriteAll); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Username)
	if msg := roster.CheckUsername(name); msg != "" {
		return nil, roster.Invalid(roster.FieldError{Location: "body.username", Message: msg, Value: in.Username})
	}
	reason, err := checkReason(in.Reason, false)
	if err != nil {
		return nil, err
	}
	var out *roster.User
	err = s.update(ctx, func(tx roster.Tx) error {
		cur, err := lockUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if err := s.recheckUser(ctx, tx, c, u, cur, what); err != nil {
			return err
		}
		if cur.Username == name {
			out = cur
			return nil
		}
		next := cur.Clone()
		next.Username, next.Version, next.UpdatedAt = name, cur.Version+1, tx.Now()
		if err := tx.UpdateUser(next); err != nil {
			return err
		}
		e, err := userEvent(ctx, c, EventUserUpdated, cur, next)
		if err != nil {
			return err
		}
		e.Reason, out = reason, next
		return s.appendEvent(tx, e)
	})
	return out, err
}
