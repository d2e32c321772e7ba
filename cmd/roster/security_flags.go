// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"flag"
	"strconv"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/mail"
	"github.com/rosterhq/roster/service"
)

// securityFlags declares the account security flags (README "Account
// security"), each with its ROSTER_* variable.
func securityFlags(fs *flag.FlagSet, c *service.SecurityConfig, env func(string, string) string, envInt func(string, int) int, envDuration func(string, time.Duration) time.Duration) {
	a := &c.Argon2
	memory, passes, threads := int(a.Memory), int(a.Time), int(a.Threads)
	fs.Func("argon2-memory", "argon2id memory in KiB (ROSTER_ARGON2_MEMORY; default 19456)", uintSetter(&a.Memory))
	fs.Func("argon2-time", "argon2id passes (ROSTER_ARGON2_TIME; default 2)", uintSetter(&a.Time))
	fs.Func("argon2-threads", "argon2id parallelism (ROSTER_ARGON2_THREADS; default 1)", func(s string) error {
		var v uint32
		if err := uintSetter(&v)(s); err != nil || v > 255 {
			return errRange
		}
		a.Threads = uint8(v)
		return nil
	})
	a.Memory = uint32(max(envInt("ARGON2_MEMORY", memory), 0))
	a.Time = uint32(max(envInt("ARGON2_TIME", passes), 0))
	a.Threads = uint8(min(max(envInt("ARGON2_THREADS", threads), 0), 255))
	fs.IntVar(&c.HashConcurrency, "argon2-concurrency", envInt("ARGON2_CONCURRENCY", c.HashConcurrency), "argon2id hashes that may run at once; a few more requests wait, the rest answer 503 (ROSTER_ARGON2_CONCURRENCY; default 0: one per CPU)")
	fs.IntVar(&c.PasswordMinLength, "password-min-length", envInt("PASSWORD_MIN_LENGTH", c.PasswordMinLength), "shortest password accepted (ROSTER_PASSWORD_MIN_LENGTH)")
	fs.IntVar(&c.PasswordMaxLength, "password-max-length", envInt("PASSWORD_MAX_LENGTH", c.PasswordMaxLength), "longest password accepted (ROSTER_PASSWORD_MAX_LENGTH)")
	fs.DurationVar(&c.AccessTokenTTL, "access-token-ttl", envDuration("ACCESS_TOKEN_TTL", c.AccessTokenTTL), "lifetime of access tokens (ROSTER_ACCESS_TOKEN_TTL)")
	fs.DurationVar(&c.RefreshTokenTTL, "refresh-token-ttl", envDuration("REFRESH_TOKEN_TTL", c.RefreshTokenTTL), "lifetime of refresh tokens (ROSTER_REFRESH_TOKEN_TTL)")
	fs.IntVar(&c.AccountFailures, "signin-account-failures", envInt("SIGNIN_ACCOUNT_FAILURES", c.AccountFailures), "failed sign-ins of one account within the window that lock it (ROSTER_SIGNIN_ACCOUNT_FAILURES)")
	fs.DurationVar(&c.AccountWindow, "signin-account-window", envDuration("SIGNIN_ACCOUNT_WINDOW", c.AccountWindow), "window that counts an account's failed sign-ins (ROSTER_SIGNIN_ACCOUNT_WINDOW)")
	fs.DurationVar(&c.AccountLockout, "signin-account-lockout", envDuration("SIGNIN_ACCOUNT_LOCKOUT", c.AccountLockout), "how long a locked account stays locked (ROSTER_SIGNIN_ACCOUNT_LOCKOUT)")
	fs.IntVar(&c.AddressFailures, "signin-address-failures", envInt("SIGNIN_ADDRESS_FAILURES", c.AddressFailures), "failed sign-ins from one client address within the window that block it (ROSTER_SIGNIN_ADDRESS_FAILURES)")
	fs.DurationVar(&c.AddressWindow, "signin-address-window", envDuration("SIGNIN_ADDRESS_WINDOW", c.AddressWindow), "window that counts an address's failed sign-ins (ROSTER_SIGNIN_ADDRESS_WINDOW)")
	fs.StringVar(&c.AppURL, "app-url", env("APP_URL", c.AppURL), "where the product's pages are; mailed links point there (ROSTER_APP_URL)")
	fs.StringVar(&c.PublicURL, "public-url", env("PUBLIC_URL", c.PublicURL), "where browsers and apps reach Roster: the OpenID issuer and the hosted pages' base (ROSTER_PUBLIC_URL; default http://<addr>)")
	fs.DurationVar(&c.InviteTTL, "invite-ttl", envDuration("INVITE_TTL", c.InviteTTL), "how long an invitation link works (ROSTER_INVITE_TTL)")
	fs.DurationVar(&c.SSOLinkTTL, "sso-link-ttl", envDuration("SSO_LINK_TTL", c.SSOLinkTTL), "how long a reseller's SSO link works (ROSTER_SSO_LINK_TTL)")
	fs.DurationVar(&c.EmailChangeTTL, "email-change-ttl", envDuration("EMAIL_CHANGE_TTL", c.EmailChangeTTL), "how long a pending email change waits for its code (ROSTER_EMAIL_CHANGE_TTL)")
	fs.IntVar(&c.EmailChangeLimit, "email-change-limit", envInt("EMAIL_CHANGE_LIMIT", c.EmailChangeLimit), "email changes a user may ask for within the window; each mails a code (ROSTER_EMAIL_CHANGE_LIMIT)")
	fs.DurationVar(&c.EmailChangeWindow, "email-change-window", envDuration("EMAIL_CHANGE_WINDOW", c.EmailChangeWindow), "window that counts a user's email change requests (ROSTER_EMAIL_CHANGE_WINDOW)")
	fs.DurationVar(&c.AddressLockout, "signin-address-lockout", envDuration("SIGNIN_ADDRESS_LOCKOUT", c.AddressLockout), "how long a blocked address stays blocked (ROSTER_SIGNIN_ADDRESS_LOCKOUT)")
}

var errRange = errors.New("must be a whole number in range")

// uintSetter parses a flag's value into *p.
func uintSetter(p *uint32) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return errRange
		}
		*p = uint32(v)
		return nil
	}
}

// startMail starts the outbox dispatcher: to the SMTP server of
// --smtp-url, or without one into the log (development).
func (m *Main) startMail(store roster.Store, svc *service.Service) error {
	var sender mail.Sender = mail.LogSender{Log: m.log}
	if m.Config.SMTPURL != "" {
		s, err := mail.NewSMTPSender(m.Config.SMTPURL, m.Config.MailFrom)
		if err != nil {
			return err
		}
		sender = s
	} else {
		m.log.Warn("no --smtp-url: mails are written to the log, which is for development only")
	}
	d := &mail.Dispatcher{Store: store, Sender: sender, Log: m.log, Poll: 500 * time.Millisecond, MaxAge: 3 * 24 * time.Hour, Open: svc.OpenMail}
	ctx, cancel := context.WithCancel(context.Background())
	m.stopMail, m.mailDone = cancel, make(chan struct{})
	go func() {
		defer close(m.mailDone)
		d.Run(ctx)
	}()
	return nil
}
