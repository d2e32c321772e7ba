// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"fmt"
	"net/netip"
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

	// HashConcurrency is how many argon2id hashes may run at once in
	// the process (0: GOMAXPROCS); a few more requests wait, the rest
	// answer 503 with Retry-After.
	HashConcurrency int

	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// SessionTTL is how long a browser session of the hosted pages
	// lasts from its sign-in.
	SessionTTL time.Duration
	// SSOLinkTTL is how long a reseller's SSO link works.
	SSOLinkTTL time.Duration
	// KeysRefresh is how often a node reads the signing keys again, to
	// find a rotation made by another process (0: 30 s).
	KeysRefresh time.Duration

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
	AppURL string
	// PublicURL is where Roster itself is reached by browsers and apps:
	// the OpenID issuer, and the base of the hosted pages' links.
	// Empty: http://<listen address> (PublicURLDefault).
	PublicURL      string
	InviteTTL      time.Duration // how long an invitation link works
	EmailChangeTTL time.Duration // how long a pending email change waits

	// A user may ask for at most EmailChangeLimit email changes (each
	// mails a code to an address of its choice) within EmailChangeWindow.
	EmailChangeLimit  int
	EmailChangeWindow time.Duration
}

// DefaultSecurity returns the defaults of PRODUCT.md section 8.
func DefaultSecurity() SecurityConfig {
	return SecurityConfig{
		Argon2:            passhash.DefaultParams,
		PasswordMinLength: 8,
		PasswordMaxLength: 63,
		AccessTokenTTL:    15 * time.Minute,
		RefreshTokenTTL:   30 * 24 * time.Hour,
		SessionTTL:        24 * time.Hour,
		SSOLinkTTL:        5 * time.Minute,
		AccountFailures:   5,
		AccountWindow:     15 * time.Minute,
		AccountLockout:    15 * time.Minute,
		AddressFailures:   100,
		AddressWindow:     15 * time.Minute,
		AddressLockout:    15 * time.Minute,
		AppURL:            "http://127.0.0.1:8080",
		InviteTTL:         7 * 24 * time.Hour,
		EmailChangeTTL:    24 * time.Hour,
		EmailChangeLimit:  5,
		EmailChangeWindow: time.Hour,
	}
}

// Validate checks the settings.
func (c SecurityConfig) Validate() error {
	var problems []string
	if err := c.Argon2.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if c.HashConcurrency < 0 {
		problems = append(problems, "the argon2id concurrency must not be negative (0: one per CPU)")
	}
	if c.PasswordMinLength < 1 || c.PasswordMaxLength < c.PasswordMinLength || c.PasswordMaxLength > 1024 {
		problems = append(problems, "password lengths must satisfy 1 <= min <= max <= 1024")
	}
	if c.AccessTokenTTL < time.Second || c.RefreshTokenTTL < time.Second || c.SessionTTL < time.Second {
		problems = append(problems, "token and session lifetimes must be at least a second")
	}
	if c.KeysRefresh < 0 || c.KeysRefresh > keysMaxAge {
		problems = append(problems, "the signing keys' refresh must be between 0 (the default, 30s) and 30s: retired keys stay published for that long beyond their tokens")
	}
	if c.InviteTTL < time.Second || c.EmailChangeTTL < time.Second || c.SSOLinkTTL < time.Second {
		problems = append(problems, "invitation, email change and SSO link lifetimes must be at least a second")
	}
	if u, err := url.Parse(c.AppURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, "the app URL must be an http or https URL")
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/") {
			problems = append(problems, "the public URL must be an http or https URL without a query, fragment or trailing slash")
		}
	}
	if c.AccountFailures < 1 || c.AddressFailures < 1 || c.AccountWindow <= 0 || c.AddressWindow <= 0 || c.AccountLockout <= 0 || c.AddressLockout <= 0 {
		problems = append(problems, "sign-in limits must be positive")
	}
	if c.EmailChangeLimit < 1 || c.EmailChangeWindow <= 0 {
		problems = append(problems, "the email change limit and its window must be positive")
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
	gateOnce  sync.Once
	gate      *hashGate // bounds the argon2id hashes running at once (signin.go)
}

// hashGate returns the gate that argon2id hashes go through.
func (sec *security) hashGate() *hashGate {
	sec.gateOnce.Do(func() { sec.gate = newHashGate(sec.cfg.HashConcurrency) })
	return sec.gate
}

// SetSecurity replaces the account security settings.
func (s *Service) SetSecurity(cfg SecurityConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	s.sec = &security{cfg: cfg}
	return nil
}

// PublicURLDefault sets the public URL from the listen address when
// --public-url was not given; it is called once, before serving.
func (s *Service) PublicURLDefault(addr string) {
	if sec := s.secure(); sec.cfg.PublicURL == "" {
		sec.cfg.PublicURL = "http://" + addr
	}
}

// Issuer is the OpenID issuer: the public URL.
func (s *Service) Issuer() string { return s.secure().cfg.PublicURL }

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

// addressKey keys an IPv6 client by its /64: one subscriber, one host
// even, commonly holds a whole /64 and could take a fresh address for
// every attempt. An IPv4 address (also written IPv4-mapped) is keyed
// alone.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "ip:" + ip
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + a.String()
}

// RateLimitError is a refusal because of too many failed sign-ins (or
// requests), or, Unavailable, because the server is too busy right now.
type RateLimitError struct {
	RetryAfter  time.Duration
	Message     string
	Unavailable bool
}

func (e *RateLimitError) Error() string { return e.Message }

// Unwrap gives the error its code, CodeRateLimited (429), or
// CodeUnavailable (503) when Unavailable.
func (e *RateLimitError) Unwrap() error {
	if e.Unavailable {
		return roster.Errorf(roster.CodeUnavailable, "%s", e.Message)
	}
	return roster.Errorf(roster.CodeRateLimited, "%s", e.Message)
}

// RetryAfterSeconds is Retry-After: whole seconds, rounded up.
func (e *RateLimitError) RetryAfterSeconds() int {
	return int((e.RetryAfter + time.Second - 1) / time.Second)
}

// Attempts are checked against the limits and counted before their
// secret is checked: reserveAttempt in signin.go.

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
	keep := max(cfg.AccountWindow, cfg.AddressWindow, cfg.AccountLockout, cfg.AddressLockout, cfg.EmailChangeWindow)
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
