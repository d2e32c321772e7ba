// SPDX-License-Identifier: Apache-2.0

package service

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/rosterhq/roster"
)

// TOTP second factor (RFC 6238, 30-second steps, 6 digits, HMAC-SHA1 as
// every authenticator app expects) with one-time recovery codes.

// EventUserMFAChanged is written when a second factor is turned on or off.
const EventUserMFAChanged = "user.mfa_changed"

const (
	totpPeriod        = 30
	recoveryCodeCount = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPEnrolment is the answer to an enrolment: what the authenticator
// app needs. The secret is shown here only.
type TOTPEnrolment struct {
	Secret     string `json:"secret" doc:"The shared secret, base32, for typing into an authenticator app."`
	OTPAuthURI string `json:"otpauth_uri" doc:"otpauth://totp/… URI with the secret, issuer and account."`
	QRCodePNG  string `json:"qr_code_png" doc:"The URI as a QR code: a PNG image, base64-encoded (data:image/png;base64,… in an img tag)."`
}

// CodeInput is a body with a one-time code.
type CodeInput struct {
	Code string `json:"code,omitempty" writeOnly:"true" doc:"A 6-digit code from the authenticator app (or, to turn the second factor off, a recovery code)."`
}

// RecoveryCodes is the answer to a confirmation: one-time codes that
// stand in for the app, shown only this once.
type RecoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// selfOnly refuses a second-factor call about another user: only the
// user itself holds the authenticator.
func (s *Service) selfMFA(ctx context.Context, c *roster.Caller, ref string) (*roster.User, error) {
	u, err := s.findVisibleUser(ctx, s.store, c, ref)
	if err != nil {
		return nil, err
	}
	if u.ID != c.User.ID {
		return nil, forbidden("only the user itself can enrol a second factor: it needs the user's own authenticator app")
	}
	return u, needScope(c, roster.ScopeUsersWriteSelf)
}

// EnrolTOTP starts a TOTP enrolment: a new secret that is pending until
// ConfirmTOTP sees a code made from it.
func (s *Service) EnrolTOTP(ctx context.Context, c *roster.Caller, ref string) (*TOTPEnrolment, error) {
	u, err := s.selfMFA(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	if u.MFAEnabled {
		return nil, roster.Errorf(roster.CodeConflict, "two-factor sign-in is already on: turn it off with DELETE /v1/users/{id}/mfa/totp before enrolling again")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Roster", AccountName: u.Username, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx roster.Tx) error {
		return s.putTOTP(tx, &roster.TOTP{UserID: u.ID, Secret: key.Secret(), CreatedAt: tx.Now()})
	})
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: key.Secret(), OTPAuthURI: key.URL(), QRCodePNG: base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// totpStep returns the time step whose code code is (the current one or
// one either side, for clocks a little off), or -1.
func totpStep(secret, code string, now time.Time) int64 {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return -1
	}
	cur := now.Unix() / totpPeriod
	for _, step := range []int64{cur, cur - 1, cur + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return -1
}

// newRecoveryCodes returns fresh recovery codes and their hashes.
func newRecoveryCodes() ([]string, [][]byte) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	codes, hashes := make([]string, recoveryCodeCount), make([][]byte, recoveryCodeCount)
	for i := range codes {
		var b [12]byte
		_, _ = rand.Read(b[:])
		var sb strings.Builder
		for j, x := range b {
			if j > 0 && j%4 == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(alphabet[int(x)%len(alphabet)])
		}
		codes[i] = sb.String()
		hashes[i] = recoveryHash(codes[i])
	}
	return codes, hashes
}

// recoveryHash is the stored form of a recovery code: its SHA-256, after
// dropping case, dashes and spaces (codes carry ~59 random bits, so a
// fast hash is enough, as for API keys).
func recoveryHash(code string) []byte {
	norm := strings.NewReplacer("-", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte(norm))
	return h[:]
}

// setMFA writes the user's mfa_enabled and its event in tx; cur is the
// user as lockUser read it.
func (s *Service) setMFA(ctx context.Context, tx roster.Tx, c *roster.Caller, cur *roster.User, on bool) error {
	if cur.MFAEnabled == on {
		return nil
	}
	next := cur.Clone()
	next.MFAEnabled, next.Version, next.UpdatedAt = on, cur.Version+1, tx.Now()
	if err := tx.UpdateUser(next); err != nil {
		return err
	}
	return s.recordUser(ctx, tx, c, EventUserMFAChanged, cur, next)
}

// ConfirmTOTP turns the pending second factor on when code was made from
// its secret, and returns new recovery codes.
func (s *Service) ConfirmTOTP(ctx context.Context, c *roster.Caller, ref, code string) (*RecoveryCodes, error) {
	u, err := s.selfMFA(ctx, c, ref)
	if err != nil {
		return nil, err
	}
	bad := roster.Invalid(roster.FieldError{Location: "body.code", Message: "code does not match: enter the 6-digit code your authenticator app shows now"})
	t, err := s.findTOTP(ctx, s.store, u.ID)
	if roster.ErrorCode(err) == roster.CodeNotFound || (err == nil && t.Confirmed) {
		return nil, roster.Errorf(roster.CodeConflict, "there is no pending enrolment: start one with POST /v1/users/{id}/mfa/totp")
	} else if err != nil {
		return nil, err
	}
	step := totpStep(t.Secret, code, time.Now())
	if step < 0 {
		return nil, bad
	}
	codes, hashes := newRecoveryCodes()
	err = s.update(ctx, func(tx roster.Tx) error {
		user, err := lockUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		cur, err := s.findTOTP(ctx, tx, u.ID)
		if err != nil || cur.Secret != t.Secret || cur.Confirmed {
			return roster.Errorf(roster.CodeConflict, "the enrolment changed meanwhile: start again with POST /v1/users/{id}/mfa/totp")
		}
		cur.Confirmed, cur.LastStep = true, step
		if err := s.putTOTP(tx, cur); err != nil {
			return err
		}
		if err := tx.PutRecoveryCodes(u.ID, hashes); err != nil {
			return err
		}
		return s.setMFA(ctx, tx, c, user, true)
	})
	if err != nil {
		return nil, err
	}
	return &RecoveryCodes{RecoveryCodes: codes}, nil
}

// DisableTOTP turns the second factor off. Users turning off their own
// give a code (or a recovery code); an admin of the user gives none (and
// only an owner does it for an admin or owner).
func (s *Service) DisableTOTP(ctx context.Context, c *roster.Caller, ref, code string) error {
	u, self, err := s.selfOrAdmin(ctx, c, ref, "turn off this user's second factor")
	if err != nil {
		return err
	}
	t, err := s.findTOTP(ctx, s.store, u.ID)
	if roster.ErrorCode(err) == roster.CodeNotFound {
		return nil // nothing to turn off
	} else if err != nil {
		return err
	}
	if self && t.Confirmed {
		if code == "" {
			return roster.Invalid(roster.FieldError{Location: "body.code", Message: "code is required: a code from your authenticator app or a recovery code"})
		}
		// Reserved before the check, like a sign-in (signin.go).
		att, err := s.reserveAttempt(ctx, u.Username)
		if err != nil {
			return err
		}
		ok, err := s.secondFactor(ctx, u.ID, t, code)
		if err != nil || ok { // not a failure: take the reservation back
			if rerr := s.releaseAttempt(ctx, att); err == nil {
				err = rerr
			}
		}
		if err != nil {
			return err
		}
		if !ok {
			s.attemptFailed(att, "totp_disable")
			return roster.Invalid(roster.FieldError{Location: "body.code", Message: "code does not match: use the code your authenticator app shows now, or an unused recovery code"})
		}
	}
	return s.update(ctx, func(tx roster.Tx) error {
		user, err := lockUser(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if err := s.recheckUser(ctx, tx, c, u, user, "turn off this user's second factor"); err != nil {
			return err
		}
		if err := tx.DeleteTOTP(u.ID); err != nil {
			return err
		}
		return s.setMFA(ctx, tx, c, user, false)
	})
}

// secondFactor checks a code against a confirmed TOTP: a current code
// whose step was not used yet, or an unused recovery code, which is used
// up.
func (s *Service) secondFactor(ctx context.Context, userID string, t *roster.TOTP, code string) (bool, error) {
	ok := false
	err := s.store.Update(ctx, func(tx roster.Tx) (err error) {
		if step := totpStep(t.Secret, code, time.Now()); step >= 0 {
			ok, err = tx.UseTOTPStep(userID, step)
			return err
		}
		ok, err = tx.UseRecoveryCode(userID, recoveryHash(code))
		return err
	})
	return ok, err
}
