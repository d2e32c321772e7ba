// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/passhash"
)

// Sign-in attempts are reserved before their secret is checked: in one
// store transaction that locks the account's and the address's keys
// (LockSignInKeys), the limits are checked and the attempt is counted as
// a failure. However many attempts arrive at once, at most the limit of
// them is ever checked; the rest are refused (429) without costing a
// hash. An attempt that succeeds takes its reservation back. And argon2id
// itself (19 MiB and a few tens of milliseconds each) runs through a gate
// of GOMAXPROCS slots server-wide, so that a flood of sign-ins for many
// names cannot exhaust memory: a few requests wait for a slot (as long as
// their context allows, at most hashWait), the rest answer 503 with
// Retry-After.

// attempt is a reserved sign-in attempt: counted as a failure under its
// keys until it is taken back.
type attempt struct {
	account string // accountKey of the name given, or ""
	address string // addressKey of the client, or ""
	at      time.Time
}

func (a *attempt) keys() []string {
	var k []string
	for _, s := range []string{a.address, a.account} {
		if s != "" {
			k = append(k, s)
		}
	}
	return k
}

// reserveAttempt refuses an attempt while its client address or the
// account it names is locked, and otherwise counts it as a failure, in
// one transaction. account may be "" (no account is named).
func (s *Service) reserveAttempt(ctx context.Context, account string) (*attempt, error) {
	cfg := s.secure().cfg
	a := &attempt{}
	if ip := roster.RequestInfoFrom(ctx).ClientIP; ip != "" {
		a.address = addressKey(ip)
	}
	if account != "" {
		a.account = accountKey(account)
	}
	if len(a.keys()) == 0 {
		return a, nil
	}
	var refused error
	err := s.store.Update(ctx, func(tx roster.Tx) error {
		refused = nil
		if err := tx.LockSignInKeys(a.keys()...); err != nil {
			return err
		}
		now := tx.Now()
		if a.address != "" {
			left, err := lockedIn(ctx, tx, a.address, now, cfg.AddressFailures, cfg.AddressWindow, cfg.AddressLockout)
			if err != nil {
				return err
			}
			if left > 0 {
				refused = &RateLimitError{RetryAfter: left, Message: "too many failed sign-ins from this address: try again later"}
				return nil
			}
		}
		if a.account != "" {
			left, err := lockedIn(ctx, tx, a.account, now, cfg.AccountFailures, cfg.AccountWindow, cfg.AccountLockout)
			if err != nil {
				return err
			}
			if left > 0 {
				refused = &RateLimitError{RetryAfter: left, Message: "too many failed sign-ins for this account: try again later, or ask an administrator to lift the lock"}
				return nil
			}
		}
		for _, k := range a.keys() {
			if err := tx.AddSignInFailure(k, now); err != nil {
				return err
			}
		}
		a.at = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return a, nil
}

// lockedIn returns how long a key is still locked at now (0: it is not).
func lockedIn(ctx context.Context, r roster.Reader, key string, now time.Time, limit int, window, lockout time.Duration) (time.Duration, error) {
	n, last, err := r.SignInFailures(ctx, key, now.Add(-window))
	if err != nil || n < limit {
		return 0, err
	}
	return max(last.Add(lockout).Sub(now), 0), nil
}

// releaseAttempt takes a reservation back: the attempt was not a failure
// (it succeeded, or was never decided because the server was busy).
func (s *Service) releaseAttempt(ctx context.Context, a *attempt) error {
	if a == nil || a.at.IsZero() {
		return nil
	}
	return s.store.Update(context.WithoutCancel(ctx), func(tx roster.Tx) error { return a.release(tx) })
}

func (a *attempt) release(tx roster.Tx) error {
	if a == nil || a.at.IsZero() {
		return nil
	}
	for _, k := range a.keys() {
		if err := tx.RemoveSignInFailure(k, a.at); err != nil {
			return err
		}
	}
	return nil
}

// hashWait is the longest a request waits for a slot of the hash gate.
const hashWait = 3 * time.Second

// hashGate bounds the argon2id computations running at once.
type hashGate struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
	wait       time.Duration
}

// newHashGate returns a gate of n slots (GOMAXPROCS when n < 1) that lets
// up to four requests a slot wait.
func newHashGate(n int) *hashGate {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return &hashGate{slots: make(chan struct{}, n), maxWaiting: int64(4 * n), wait: hashWait}
}

// errBusy is the answer when the gate is full.
func errBusy() error {
	return &RateLimitError{RetryAfter: time.Second, Unavailable: true, Message: "the server is busy checking passwords: try again in a moment"}
}

// run calls fn holding a slot. It waits for one while its context allows
// and at most g.wait, and answers errBusy when too many already wait.
func (g *hashGate) run(ctx context.Context, fn func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		if g.waiting.Add(1) > g.maxWaiting {
			g.waiting.Add(-1)
			return errBusy()
		}
		t := time.NewTimer(g.wait)
		select {
		case g.slots <- struct{}{}:
			g.waiting.Add(-1)
			t.Stop()
		case <-ctx.Done():
			g.waiting.Add(-1)
			t.Stop()
			return errBusy()
		case <-t.C:
			g.waiting.Add(-1)
			return errBusy()
		}
	}
	defer func() { <-g.slots }()
	fn()
	return nil
}

// verifyPassword checks a password against a stored hash, through the
// gate. With no stored hash it checks against a dummy one and reports
// false, so that the time taken does not tell whether there was one.
func (s *Service) verifyPassword(ctx context.Context, password, stored string) (ok bool, err error) {
	sec := s.secure()
	if gerr := sec.hashGate().run(ctx, func() {
		if stored == "" {
			_, _ = passhash.Verify(password, sec.dummyHash())
			return
		}
		ok, err = passhash.Verify(password, stored)
	}); gerr != nil {
		return false, gerr
	}
	return ok, err
}

// hashPassword hashes a new password, through the gate.
func (s *Service) hashPassword(ctx context.Context, password string) (hash string, err error) {
	sec := s.secure()
	if gerr := sec.hashGate().run(ctx, func() { hash, err = passhash.Hash(password, sec.cfg.Argon2) }); gerr != nil {
		return "", gerr
	}
	return hash, err
}

// emailChangeKey counts a user's email change requests, in the table of
// sign-in failures (so that every node counts them, and the janitor
// purges them).
func emailChangeKey(userID string) string { return "email-change:" + userID }

// countRequest refuses a request when limit were already counted under
// key within window, and otherwise counts it, in tx (which the refusal
// should roll back).
func countRequest(ctx context.Context, tx roster.Tx, key string, limit int, window time.Duration, what string) error {
	if err := tx.LockSignInKeys(key); err != nil {
		return err
	}
	now := tx.Now()
	n, last, err := tx.SignInFailures(ctx, key, now.Add(-window))
	if err != nil {
		return err
	}
	if n >= limit {
		// By the newest one's end of window every one has expired.
		return &RateLimitError{RetryAfter: max(last.Add(window).Sub(now), time.Second), Message: what}
	}
	return tx.AddSignInFailure(key, now)
}
