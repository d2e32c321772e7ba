// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/seal"
)

// SetSecretBox sets the key that encrypts secrets at rest: webhook
// credentials and TOTP secrets. Without one, TOTP secrets are stored in
// clear and webhooks are not available.
func (s *Service) SetSecretBox(box *seal.Box) { s.box = box }

// keyCheck is what the database's key check holds, sealed.
const keyCheck = "roster key check v1"

// ErrWrongSecretKey is CheckSecretKey's answer for a key that is not the
// one the database's secrets are sealed with.
var ErrWrongSecretKey = errors.New("the secret key does not open this database's key check: its secrets were sealed with another key")

// CheckSecretKey makes sure that the secret key (SetSecretBox) is the one
// the database's secrets are sealed with, before any is needed: the first
// process to call it on a database stores a value sealed with its key;
// one whose key does not open that value gets ErrWrongSecretKey.
// Several nodes with keys of their own, or a data folder moved without
// its key, are found at start instead of at every webhook delivery and
// TOTP sign-in.
func (s *Service) CheckSecretKey(ctx context.Context) error {
	if s.box == nil {
		return errors.New("no secret key set")
	}
	aad := []byte("key-check")
	var stored []byte
	err := s.store.Update(ctx, func(tx roster.Tx) (err error) {
		stored, err = tx.KeyCheck(s.box.Seal([]byte(keyCheck), aad))
		return err
	})
	if err != nil {
		return err
	}
	if plain, err := s.box.Open(stored, aad); err != nil || string(plain) != keyCheck {
		return ErrWrongSecretKey
	}
	s.keyChecked.Store(true)
	return nil
}

// sealedPrefix marks a stored TOTP secret that is encrypted.
const sealedPrefix = "sealed:"

// findTOTP reads a user's TOTP enrolment with its secret in clear.
func (s *Service) findTOTP(ctx context.Context, r roster.Reader, userID string) (*roster.TOTP, error) {
	t, err := r.FindTOTP(ctx, userID)
	if err != nil {
		return nil, err
	}
	if rest, ok := strings.CutPrefix(t.Secret, sealedPrefix); ok {
		if s.box == nil {
			return nil, seal.ErrOpen
		}
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, seal.ErrOpen
		}
		plain, err := s.box.Open(raw, []byte("totp:"+userID))
		if err != nil {
			return nil, err
		}
		t.Secret = string(plain)
	}
	return t, nil
}

// putTOTP stores a TOTP enrolment with its secret encrypted.
func (s *Service) putTOTP(tx roster.Tx, t *roster.TOTP) error {
	c := *t
	if s.box != nil {
		c.Secret = sealedPrefix + base64.StdEncoding.EncodeToString(s.box.Seal([]byte(t.Secret), []byte("totp:"+t.UserID)))
	}
	return tx.PutTOTP(&c)
}
