// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"errors"
	"maps"
	"runtime"
	"strings"
	"sync"
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
	// locks names the limits ("account", "address") this attempt reaches:
	// should it fail, it locks them (a lockout, in SignInCounts).
	locks []string
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
	lockedBy := ""
	err := s.store.Update(ctx, func(tx roster.Tx) error {
		refused, lockedBy, a.locks = nil, "", nil
		if err := tx.LockSignInKeys(a.keys()...); err != nil {
			return err
		}
		now := tx.Now()
		if a.address != "" {
			left, n, err := lockedIn(ctx, tx, a.address, now, cfg.AddressFailures, cfg.AddressWindow, cfg.AddressLockout)
			if err != nil {
				return err
			}
			if left > 0 {
				refused, lockedBy = &RateLimitError{RetryAfter: left, Message: "too many failed sign-ins from this address: try again later"}, "address"
				return nil
			}
			if n+1 >= cfg.AddressFailures {
				a.locks = append(a.locks, "address")
			}
		}
		if a.account != "" {
			left, n, err := lockedIn(ctx, tx, a.account, now, cfg.AccountFailures, cfg.AccountWindow, cfg.AccountLockout)
			if err != nil {
				return err
			}
			if left > 0 {
				refused, lockedBy = &RateLimitError{RetryAfter: left, Message: "too many failed sign-ins for this account: try again later, or ask an administrator to lift the lock"}, "account"
				return nil
			}
			if n+1 >= cfg.AccountFailures {
				a.locks = append(a.locks, "account")
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
		s.signIns.add(&s.signIns.refused, lockedBy)
		return nil, refused
	}
	return a, nil
}

// lockedIn returns how long a key is still locked at now (0: it is not)
// and its failures within the window.
func lockedIn(ctx context.Context, r roster.Reader, key string, now time.Time, limit int, window, lockout time.Duration) (time.Duration, int, error) {
	n, last, err := r.SignInFailures(ctx, key, now.Add(-window))
	if err != nil || n < limit {
		return 0, n, err
	}
	return max(last.Add(lockout).Sub(now), 0), n, nil
}

// attemptFailed counts a reserved attempt whose secret was wrong (check
// names what was checked: SignInCounts.Failures), and the lockouts it
// starts. The reservation stays: it is the failure the limits count.
func (s *Service) attemptFailed(a *attempt, check string) {
	s.signIns.add(&s.signIns.failures, check)
	if a != nil {
		for _, l := range a.locks {
			s.signIns.add(&s.signIns.lockouts, l)
		}
	}
}

// SignInCounts are the sign-in outcomes since the service started, for
// metrics.
type SignInCounts struct {
	// Failures are attempts whose secret was wrong, by what was checked:
	// password and totp (the password grant), client_secret
	// (client_credentials), current_password (a password change),
	// totp_disable (the code that turns TOTP off).
	Failures map[string]uint64
	// Lockouts are the failures that reached a limit and so locked the
	// account or the client's address (by "account", "address").
	Lockouts map[string]uint64
	// Refused are the attempts refused because the account or the
	// address was locked.
	Refused map[string]uint64
}

// SignInCounts returns the sign-in outcomes counted so far, with every
// check and limit present (0 until it happens), so that each series
// exists from the start.
func (s *Service) SignInCounts() SignInCounts {
	c := &s.signIns
	c.mu.Lock()
	defer c.mu.Unlock()
	known := func(m map[string]uint64, keys ...string) map[string]uint64 {
		out := maps.Clone(m)
		if out == nil {
			out = map[string]uint64{}
		}
		for _, k := range keys {
			if _, ok := out[k]; !ok {
				out[k] = 0
			}
		}
		return out
	}
	return SignInCounts{Failures: known(c.failures, "password", "totp", "client_secret", "current_password", "totp_disable"),
		Lockouts: known(c.lockouts, "account", "address"), Refused: known(c.refused, "account", "address")}
}

// signInCounter keeps SignInCounts.
type signInCounter struct {
	mu                          sync.Mutex
	failures, lockouts, refused map[string]uint64
}

func (c *signInCounter) add(m *map[string]uint64, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *m == nil {
		*m = map[string]uint64{}
	}
	(*m)[key]++
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
	ok, _, err = s.checkStoredPassword(ctx, password, stored)
	return ok, err
}

// checkStoredPassword is verifyPassword that also reports whether the stored
// hash is one imported from another system (passhash.Import: bcrypt,
// argon2i, PBKDF2, scrypt), which a successful sign-in replaces with
// argon2id (upgradeHash).
func (s *Service) checkStoredPassword(ctx context.Context, password, stored string) (ok, rehash bool, err error) {
	sec := s.secure()
	if gerr := sec.hashGate().run(ctx, func() {
		if stored == "" {
			_, _ = passhash.Verify(password, sec.dummyHash())
			return
		}
		ok, rehash, err = passhash.Check(password, stored)
	}); gerr != nil {
		return false, false, gerr
	}
	return ok, rehash, err
}

// upgradeHash replaces an imported hash with an argon2id one of the right
// password, in tx (the sign-in's own transaction), if it is still the
// hash that was checked: a password set meanwhile wins. It writes no
// event: the swap changes nothing a user or a webhook could see (no
// field, no version, no session), and a user.password_changed would say
// the password changed when it did not. It is logged instead.
func (s *Service) upgradeHash(ctx context.Context, tx roster.Tx, userID, checked, upgraded string) error {
	// The user's row lock orders this after a password change that
	// holds it (ChangePassword locks the user too), whose hash it then
	// reads and keeps.
	if _, err := lockUser(ctx, tx, userID); err != nil {
		return err
	}
	cur, err := tx.FindPasswordHash(ctx, userID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil
	}
	if err != nil || cur != checked {
		return err
	}
	if err := tx.PutPasswordHash(userID, upgraded); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "imported password hash replaced with argon2id at sign-in", "user_id", userID, "from", passhash.Family(checked),
		"request_id", roster.RequestInfoFrom(ctx).ID)
	return nil
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

// Refusals of passwordSignIn and secondFactorSignIn.
var (
	// errBadCredentials is the one answer to a wrong username or
	// password and to an account that may not sign in (disabled, or of
	// a disabled organisation): it counts as a failed sign-in.
	errBadCredentials = errors.New("the username or password is wrong")
	// errNeedSecondFactor: the password was right, the account has a
	// second factor and no code came. Not a failure.
	errNeedSecondFactor = errors.New("this account has two-factor sign-in: a code from the authenticator app (or a recovery code) is needed")
	// errWrongTOTP: the code is wrong or was used; a failure.
	errWrongTOTP = errors.New("the one-time code is wrong or was already used")
)

// signIn is a sign-in whose secrets were right. Its attempt is still
// reserved: finish takes it back in the caller's transaction (or settle,
// when that transaction fails).
type signIn struct {
	user     *roster.User
	att      *attempt
	stored   string // the password hash checked ("" after a second factor alone)
	upgraded string // an argon2id replacement of an imported stored hash
}

// passwordSignIn checks a username (or email) and password, and the
// second factor's code when the account has one, under the per-account
// and per-address limits. The token endpoint's password grant and the
// sign-in page both sign in through it, so their failures count alike.
// It answers errBadCredentials, errNeedSecondFactor (code is ""),
// errWrongTOTP, a *RateLimitError, or another error; with the first
// three, the signIn names the user when the name is an account's.
func (s *Service) passwordSignIn(ctx context.Context, name, password, code string) (*signIn, error) {
	if len(name) > 255 || len(password) > 1024 {
		return nil, errBadCredentials
	}
	u, err := s.findSignInUser(ctx, name)
	if err != nil {
		return nil, err
	}
	// Failures count against the account's own name, however it was
	// given (username or email), so that switching forms gains nothing.
	account := name
	if u != nil {
		account = u.Username
	}
	// The attempt counts as a failure from here unless it is taken back:
	// when it succeeds, or is never decided.
	att, err := s.reserveAttempt(ctx, account)
	if err != nil {
		return nil, err
	}
	failed := false
	done := false
	defer func() {
		if !done {
			s.settle(ctx, att, failed)
		}
	}()
	// Every path verifies one hash, so the time taken does not tell
	// whether the username exists.
	stored := ""
	if u != nil {
		if stored, err = s.store.FindPasswordHash(ctx, u.ID); err != nil && roster.ErrorCode(err) != roster.CodeNotFound {
			return nil, err
		}
	}
	// A disabled account (or organisation) is refused exactly like a
	// wrong password, and found out before the hash is checked, so that
	// neither the answer nor its time (nor whether the second factor is
	// asked for) says whether the password was right.
	disabled, err := s.refused(ctx, u)
	if err != nil {
		return nil, err
	}
	ok, rehash, err := s.checkStoredPassword(ctx, password, stored)
	if err != nil {
		return nil, err
	}
	if !ok || stored == "" || disabled {
		failed = true
		s.attemptFailed(att, "password")
		return &signIn{user: u}, errBadCredentials
	}
	if err := s.checkTOTP(ctx, u, code); err != nil {
		if failed = errors.Is(err, errWrongTOTP); failed {
			s.attemptFailed(att, "totp")
		}
		if errors.Is(err, errNeedSecondFactor) && rehash {
			// The sign-in pages ask for the code in a later request, which
			// no longer has the password: the hash is upgraded now.
			s.upgradeHashNow(ctx, u.ID, stored, s.argon2Replacement(ctx, u.ID, password))
		}
		return &signIn{user: u}, err
	}
	si := &signIn{user: u, att: att, stored: stored}
	// An imported hash (bcrypt, PBKDF2, …) is replaced with argon2id at
	// the first successful sign-in, in its transaction.
	if rehash {
		si.upgraded = s.argon2Replacement(ctx, u.ID, password)
	}
	done = true
	return si, nil
}

// argon2Replacement hashes the right password of an imported hash with
// argon2id; "" when the hash gate is busy, which only puts the upgrade
// off to a later sign-in.
func (s *Service) argon2Replacement(ctx context.Context, userID, password string) string {
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		s.log.WarnContext(ctx, "imported password hash kept for now", "user_id", userID, "error", err, "request_id", roster.RequestInfoFrom(ctx).ID)
		return ""
	}
	return hash
}

// upgradeHashNow is upgradeHash in a transaction of its own, for a right
// password whose sign-in is not finished (its second factor is due). A
// failure keeps the imported hash, to be upgraded at a later sign-in.
func (s *Service) upgradeHashNow(ctx context.Context, userID, checked, upgraded string) {
	if upgraded == "" {
		return
	}
	err := s.store.Update(ctx, func(tx roster.Tx) error { return s.upgradeHash(ctx, tx, userID, checked, upgraded) })
	if err != nil {
		s.log.WarnContext(ctx, "imported password hash kept for now", "user_id", userID, "error", err, "request_id", roster.RequestInfoFrom(ctx).ID)
	}
}

// secondFactorSignIn checks the second factor of a user whose password
// the sign-in page already accepted, under the same limits.
func (s *Service) secondFactorSignIn(ctx context.Context, userID, code string) (*signIn, error) {
	u, err := s.store.FindUser(ctx, userID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, errBadCredentials
	} else if err != nil {
		return nil, err
	}
	att, err := s.reserveAttempt(ctx, u.Username)
	if err != nil {
		return nil, err
	}
	disabled, err := s.refused(ctx, u)
	if err == nil && disabled {
		err = errBadCredentials
	}
	if err == nil {
		if code == "" {
			err = errWrongTOTP
		} else {
			err = s.checkTOTP(ctx, u, code)
		}
	}
	if err != nil {
		failed := errors.Is(err, errWrongTOTP) || errors.Is(err, errBadCredentials)
		if failed {
			s.attemptFailed(att, "totp")
		}
		s.settle(ctx, att, failed)
		return &signIn{user: u}, err
	}
	return &signIn{user: u, att: att}, nil
}

// findSignInUser finds the account a sign-in names: by username, else by
// email. nil when there is none.
func (s *Service) findSignInUser(ctx context.Context, name string) (*roster.User, error) {
	u, err := s.store.FindUserByUsername(ctx, name)
	if roster.ErrorCode(err) == roster.CodeNotFound && strings.Contains(name, "@") {
		u, err = s.store.FindUserByEmail(ctx, name)
	}
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil, nil
	}
	return u, err
}

// refused reports whether a user may not sign in (nil: no user).
func (s *Service) refused(ctx context.Context, u *roster.User) (bool, error) {
	if u == nil {
		return false, nil
	}
	if err := s.usable(ctx, u); err != nil {
		if _, ok := err.(*OAuthError); !ok {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

// settle ends a reservation that no transaction took back: a failure
// stays counted; anything else (undecided, or a right password that
// still needs its code) is taken back.
func (s *Service) settle(ctx context.Context, att *attempt, failed bool) {
	if failed {
		return
	}
	if err := s.releaseAttempt(ctx, att); err != nil {
		s.log.ErrorContext(ctx, "taking back a sign-in attempt", "error", err, "request_id", roster.RequestInfoFrom(ctx).ID)
	}
}

// finish completes a sign-in in tx: the success takes back the
// reservation, ends the account's failures and upgrades an imported hash.
func (si *signIn) finish(ctx context.Context, s *Service, tx roster.Tx) error {
	if err := si.att.release(tx); err != nil {
		return err
	}
	if si.upgraded != "" {
		if err := s.upgradeHash(ctx, tx, si.user.ID, si.stored, si.upgraded); err != nil {
			return err
		}
	}
	return tx.ClearSignInFailures(accountKey(si.user.Username))
}

// checkTOTP asks a user with a second factor for its code (or a recovery
// code): errNeedSecondFactor without one, errWrongTOTP for a wrong one.
func (s *Service) checkTOTP(ctx context.Context, u *roster.User, code string) error {
	t, err := s.findTOTP(ctx, s.store, u.ID)
	if roster.ErrorCode(err) == roster.CodeNotFound || (err == nil && !t.Confirmed) {
		return nil
	} else if err != nil {
		return err
	}
	if code == "" {
		return errNeedSecondFactor
	}
	if len(code) > 64 {
		return errWrongTOTP
	}
	ok, err := s.secondFactor(ctx, u.ID, t, code)
	if err != nil {
		return err
	}
	if !ok {
		return errWrongTOTP // counted by the attempt's reservation
	}
	return nil
}
