// SPDX-License-Identifier: Apache-2.0

package service

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/seal"
)

// SetSecretBox sets the key that encrypts secrets at rest: webhook
// credentials and TOTP secrets. Without one, TOTP secrets are stored in
// clear and webhooks are not available.
func (s *Service) SetSecretBox(box *seal.Box) { s.box = box }

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
