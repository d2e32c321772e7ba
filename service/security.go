// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/passhash"
)

// SecurityConfig holds the account security settings (PRODUCT.md
// section 6): password rules and hashing cost, token lifetimes and the
// sign-in limits.
type SecurityConfig struct {
	Argon2            passhash.Params
	PasswordMinLength int // characters (Unicode code points)
	PasswordMaxLength int

	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration

	// An account is locked for AccountLockout after AccountFailures
	// failed sign-ins within AccountWindow; a client address likewise.
	AccountFailures int
	AccountWindow   time.Duration
	AccountLockout  time.Duration
	AddressFailures int
	AddressWindow   time.Duration
	AddressLockout  time.Duration

	// AppURL is where the product's pages are: mailed links point
	// there (AppURL + "/set-password?token=…", "/confirm-email?…").
	AppURL         string
	InviteTTL      time.Duration // how long an invitation link works
	EmailChangeTTL time.Duration // how long a pending email change waits
}

// DefaultSecurity returns the defaults of PRODUCT.md section 8.
func DefaultSecurity() SecurityConfig {
	return SecurityConfig{
		Argon2:            passhash.DefaultParams,
		PasswordMinLength: 8,
		PasswordMaxLength: 63,
		AccessTokenTTL:    15 * time.Minute,
		RefreshTokenTTL:   30 * 24 * time.Hour,
		AccountFailures:   5,
		AccountWindow:     15 * time.Minute,
		AccountLockout:    15 * time.Minute,
		AddressFailures:   100,
		AddressWindow:     15 * time.Minute,
		AddressLockout:    15 * time.Minute,
		AppURL:            "http://127.0.0.1:8080",
		InviteTTL:         7 * 24 * time.Hour,
		EmailChangeTTL:    24 * time.Hour,
	}
}

// Validate checks the settings.
func (c SecurityConfig) Validate() error {
	var problems []string
	if err := c.Argon2.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if c.PasswordMinLength < 1 || c.PasswordMaxLength < c.PasswordMinLength || c.PasswordMaxLength > 1024 {
		problems = append(problems, "password lengths must satisfy 1 <= min <= max <= 1024")
	}
	if c.AccessTokenTTL < time.Second || c.RefreshTokenTTL < time.Second {
		problems = append(problems, "token lifetimes must be at least a second")
	}
	if c.InviteTTL < time.Second || c.EmailChangeTTL < time.Second {
		problems = append(problems, "invitation and email change lifetimes must be at least a second")
	}
	if u, err := url.Parse(c.AppURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, "the app URL must be an http or https URL")
	}
	if c.AccountFailures < 1 || c.AddressFailures < 1 || c.AccountWindow <= 0 || c.AddressWindow <= 0 || c.AccountLockout <= 0 || c.AddressLockout <= 0 {
		problems = append(problems, "sign-in limits must be positive")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// security is the Service's account security state.
type security struct {
	cfg       SecurityConfig
	dummyOnce sync.Once
	dummy     string // a hash to verify against when there is no user, so that timing says nothing
}

// SetSecurity replaces the account security settings.
func (s *Service) SetSecurity(cfg SecurityConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	s.sec = &security{cfg: cfg}
	return nil
}

// secure returns the security settings (the defaults when none were set).
func (s *Service) secure() *security {
	s.secOnce.Do(func() {
		if s.sec == nil {
			s.sec = &security{cfg: DefaultSecurity()}
		}
	})
	return s.sec
}

// dummyHash is verified against when a sign-in names no user or a user
// without a password: the answer then takes as long as a real check.
func (sec *security) dummyHash() string {
	sec.dummyOnce.Do(func() {
		sec.dummy, _ = passhash.Hash(roster.NewTokenSecret(""), sec.cfg.Argon2)
	})
	return sec.dummy
}

// Sign-in failure keys: per account (by the name given, so that unknown
// names are limited exactly like real ones) and per client address.
func accountKey(name string) string { return "user:" + strings.ToLower(strings.TrimSpace(name)) }
func addressKey(ip string) string   { return "ip:" + ip }

// lockedFor returns how long a key is still locked (0: it is not).
func (s *Service) lockedFor(ctx context.Context, key string, limit int, window, lockout time.Duration) (time.Duration, error) {
	now := time.Now()
	n, last, err := s.store.SignInFailures(ctx, key, now.Add(-window))
	if err != nil || n < limit {
		return 0, err
	}
	if left := last.Add(lockout).Sub(now); left > 0 {
		return left, nil
	}
	return 0, nil
}

// RateLimitError is a refusal because of too many failed sign-ins.
type RateLimitError struct {
	RetryAfter time.Duration
	Message    string
}

func (e *RateLimitError) Error() string { return e.Message }

// Unwrap gives the error its code, CodeRateLimited (429).
func (e *RateLimitError) Unwrap() error {
	return roster.Errorf(roster.CodeRateLimited, "%s", e.Message)
}

// RetryAfterSeconds is Retry-After: whole seconds, rounded up.
func (e *RateLimitError) RetryAfterSeconds() int {
	return int((e.RetryAfter + time.Second - 1) / time.Second)
}

// checkLimits refuses a sign-in while its client address or the account
// it names is locked. account may be "" (no account is named).
func (s *Service) checkLimits(ctx context.Context, account string) error {
	cfg := s.secure().cfg
	if ip := roster.RequestInfoFrom(ctx).ClientIP; ip != "" {
		left, err := s.lockedFor(ctx, addressKey(ip), cfg.AddressFailures, cfg.AddressWindow, cfg.AddressLockout)
		if err != nil {
			return err
		}
		if left > 0 {
			return &RateLimitError{RetryAfter: left, Message: "too many failed sign-ins from this address: try again later"}
		}
	}
	if account != "" {
		left, err := s.lockedFor(ctx, accountKey(account), cfg.AccountFailures, cfg.AccountWindow, cfg.AccountLockout)
		if err != nil {
			return err
		}
		if left > 0 {
			return &RateLimitError{RetryAfter: left, Message: "too many failed sign-ins for this account: try again later, or ask an administrator to lift the lock"}
		}
	}
	return nil
}

// recordFailure counts a failed sign-in against the client address and
// the account named ("" for none).
func (s *Service) recordFailure(ctx context.Context, account string) error {
	ip := roster.RequestInfoFrom(ctx).ClientIP
	return s.store.Update(ctx, func(tx roster.Tx) error {
		now := tx.Now()
		if ip != "" {
			if err := tx.AddSignInFailure(addressKey(ip), now); err != nil {
				return err
			}
		}
		if account != "" {
			return tx.AddSignInFailure(accountKey(account), now)
		}
		return nil
	})
}

// LiftLockout clears the failed sign-ins of a user's account, which ends
// its lockout. Only an admin of the user may.
func (s *Service) LiftLockout(ctx context.Context, c *roster.Caller, ref string) error {
	u, err := s.findVisibleUser(ctx, s.store, c, ref)
	if err != nil {
		return err
	}
	const what = "lift this user's sign-in lockout"
	if err := s.actOnUser(ctx, s.store, c, u, what); err != nil {
		return err
	}
	if err := needScope(c, roster.ScopeUsersWriteAll); err != nil {
		return err
	}
	return s.update(ctx, func(tx roster.Tx) error {
		cur, err := lockUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if err := s.recheckUser(ctx, tx, c, u, cur, what); err != nil {
			return err
		}
		keys := []string{accountKey(cur.Username), accountKey(cur.Email)}
		failed := 0
		for _, k := range keys {
			n, _, err := tx.SignInFailures(ctx, k, time.Time{})
			if err != nil {
				return err
			}
			failed += n
		}
		if failed == 0 {
			return nil // nothing to lift: no change, no event
		}
		if err := tx.ClearSignInFailures(keys...); err != nil {
			return err
		}
		return s.recordUser(ctx, tx, c, EventUserLockoutLifted, cur, cur)
	})
}

// PurgeCredentials removes expired tokens and sign-in failures older than
// every window that counts them.
func (s *Service) PurgeCredentials(ctx context.Context) (int64, error) {
	cfg := s.secure().cfg
	keep := max(cfg.AccountWindow, cfg.AddressWindow, cfg.AccountLockout, cfg.AddressLockout)
	var n int64
	err := s.store.Update(ctx, func(tx roster.Tx) (err error) {
		n, err = tx.PurgeCredentials(time.Now().Add(-keep))
		return err
	})
	return n, err
}

// selfOrAdmin resolves the user of a self-service account call and checks
// who may make it: users themselves (with a users:write scope), or an
// admin of the user with users:write:all (an owner when the user is an
// admin or owner, since such a call takes over the account). It reports
// whether the caller is the user.
func (s *Service) selfOrAdmin(ctx context.Context, c *roster.Caller, ref, what string) (*roster.User, bool, error) {
	u, err := s.findVisibleUser(ctx, s.store, c, ref)
	if err != nil {
		return nil, false, err
	}
	if u.ID == c.User.ID {
		return u, true, needScope(c, roster.ScopeUsersWriteSelf)
	}
	if err := s.actOnUser(ctx, s.store, c, u, what); err != nil {
		return nil, false, err
	}
	return u, false, needScope(c, roster.ScopeUsersWriteAll)
}
