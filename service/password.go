// SPDX-License-Identifier: Apache-2.0

package service

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rosterhq/roster"
)

// Event types of account security changes. Their data is the user as it
// is; no secret is ever part of an event.
const (
	EventUserPasswordChanged = "user.password_changed"
)

//go:embed common-passwords.txt
var commonPasswordList string

// commonPasswords is the bundled list of passwords too common to allow.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordList))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// PasswordInput is the body of a password change.
type PasswordInput struct {
	CurrentPassword   *string `json:"current_password,omitempty" writeOnly:"true" doc:"Required when users change their own password (once one is set); an admin of the user needs none."`
	NewPassword       string  `json:"new_password" required:"true" writeOnly:"true" doc:"8 to 63 characters by default; not the email or username, nor a common password."`
	RevokeOtherTokens *bool   `json:"revoke_other_tokens,omitempty" doc:"Revoke the user's other access and refresh tokens (default true). API keys are not affected."`
}

// Rules of the password policy that a password can break (PasswordRule).
const (
	RuleNotUTF8   = "not_utf8"
	RuleTooShort  = "too_short"
	RuleTooLong   = "too_long"
	RuleIsAccount = "is_account" // the email address or username
	RuleCommon    = "common"
)

// PasswordRule returns the rule of the password policy that pw breaks
// for u ("" for none) and the length limit it concerns. The hosted pages
// say it in the user's language; the API in checkPassword's words.
func (s *Service) PasswordRule(u *roster.User, pw string) (rule string, limit int) {
	cfg := s.secure().cfg
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return RuleNotUTF8, 0
	case n < cfg.PasswordMinLength:
		return RuleTooShort, cfg.PasswordMinLength
	case n > cfg.PasswordMaxLength:
		return RuleTooLong, cfg.PasswordMaxLength
	case strings.EqualFold(pw, u.Email) || strings.EqualFold(pw, u.Username):
		return RuleIsAccount, 0
	case commonPasswords[strings.ToLower(pw)]:
		return RuleCommon, 0
	}
	return "", 0
}

// checkPassword applies the password policy. Messages never repeat the
// password, and field errors carry no value.
func (s *Service) checkPassword(u *roster.User, pw string) error {
	return ruleError(s.PasswordRule(u, pw))
}

// ruleError is the API's field error for a broken rule of the password
// policy (nil for none).
func ruleError(rule string, limit int) error {
	msg := ""
	switch rule {
	case "":
		return nil
	case RuleNotUTF8:
		msg = "new_password must be valid UTF-8 text"
	case RuleTooShort:
		msg = fmt.Sprintf("new_password is too short: use at least %d characters", limit)
	case RuleTooLong:
		msg = fmt.Sprintf("new_password is too long: use at most %d characters", limit)
	case RuleIsAccount:
		msg = "new_password must not be the email address or username"
	case RuleCommon:
		msg = "new_password is one of the most common passwords, which are guessed first: choose another"
	}
	return roster.Invalid(roster.FieldError{Location: "body.new_password", Message: msg})
}

// ChangePassword sets a user's password. Users changing their own give
// the current one; an admin of the user gives none (and only an owner
// sets an admin's or owner's password). The user's other tokens are
// revoked unless in.RevokeOtherTokens is false.
func (s *Service) ChangePassword(ctx context.Context, c *roster.Caller, ref string, in *PasswordInput) error {
	u, self, err := s.selfOrAdmin(ctx, c, ref, "set this user's password")
	if err != nil {
		return err
	}
	if err := s.checkPassword(u, in.NewPassword); err != nil {
		return err
	}
	if self {
		if err := s.checkCurrentPassword(ctx, u, in.CurrentPassword); err != nil {
			return err
		}
	}
	hash, err := s.hashPassword(ctx, in.NewPassword)
	if err != nil {
		return err
	}
	revoke := in.RevokeOtherTokens == nil || *in.RevokeOtherTokens
	return s.update(ctx, func(tx roster.Tx) error {
		cur, err := lockUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if err := s.recheckUser(ctx, tx, c, u, cur, "set this user's password"); err != nil {
			return err
		}
		if err := tx.PutPasswordHash(cur.ID, hash); err != nil {
			return err
		}
		if revoke {
			if _, err := tx.DeleteUserTokens(cur.ID, c.Family); err != nil {
				return err
			}
		}
		if err := tx.ClearSignInFailures(accountKey(cur.Username), accountKey(cur.Email)); err != nil {
			return err
		}
		return s.recordUser(ctx, tx, c, EventUserPasswordChanged, cur, cur)
	})
}

// checkCurrentPassword verifies the current password that users give
// to change their own. A wrong one counts as a failed sign-in, so the
// call cannot be used to guess passwords faster than signing in.
func (s *Service) checkCurrentPassword(ctx context.Context, u *roster.User, current *string) error {
	stored, err := s.store.FindPasswordHash(ctx, u.ID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil // no password yet: the first one needs no current one
	} else if err != nil {
		return err
	}
	if current == nil || *current == "" {
		return roster.Invalid(roster.FieldError{Location: "body.current_password", Message: "current_password is required to change your own password"})
	}
	// Reserved before the check, like a sign-in (signin.go).
	att, err := s.reserveAttempt(ctx, u.Username)
	if err != nil {
		return err
	}
	ok, err := s.verifyPassword(ctx, *current, stored)
	if err == nil && !ok {
		s.attemptFailed(att, "current_password")
		return roster.Invalid(roster.FieldError{Location: "body.current_password", Message: "current_password is not your current password"})
	}
	if rerr := s.releaseAttempt(ctx, att); err == nil {
		err = rerr
	}
	return err
}

// PasswordLengths returns the shortest and longest password allowed, in
// characters.
func (s *Service) PasswordLengths() (minLen, maxLen int) {
	cfg := s.secure().cfg
	return cfg.PasswordMinLength, cfg.PasswordMaxLength
}
