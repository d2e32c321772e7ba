// SPDX-License-Identifier: Apache-2.0

package service

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"time"

	"github.com/rosterhq/roster"
)

// An answer recorded for an Idempotency-Key may show a secret once (a new
// API key, a webhook's signing secret, a TOTP enrolment, a sign-in's
// tokens), and the request it answers may carry one (a password): the
// record holds neither in clear. Its body is sealed with the secret key
// and its request's fingerprint is a MAC under it; the headers kept
// (httpapi's replayedHeaders: Content-Type, Location, ETag, Cache-Control,
// Preference-Applied) hold no secret.

// sealedAnswer starts a recorded body that is sealed. A body in clear
// (written by an earlier version, or without a secret key) never starts
// with a NUL: it is JSON, XML, JSONP or empty.
const sealedAnswer = "\x00sealed\x00"

// macFingerprint starts a request fingerprint that is a MAC; a plain
// SHA-256 (earlier versions, or no secret key) is exactly 32 bytes.
const macFingerprint = 'm'

// fingerprint returns what identifies a request under its key: its head
// (method, path, content type) and body.
func (s *Service) fingerprint(head string, body []byte) []byte {
	if s.box == nil {
		return plainFingerprint(head, body)
	}
	h := s.box.MAC()
	h.Write([]byte(head))
	h.Write(body)
	return h.Sum([]byte{macFingerprint})
}

func plainFingerprint(head string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(head))
	h.Write(body)
	return h.Sum(nil)
}

// sameRequest reports whether a recorded fingerprint is this request's,
// whose fingerprint is sum.
func sameRequest(recorded, sum []byte, head string, body []byte) bool {
	if len(recorded) == sha256.Size && len(sum) != sha256.Size { // recorded by a node of an earlier version
		return hmac.Equal(recorded, plainFingerprint(head, body))
	}
	return hmac.Equal(recorded, sum)
}

// answerAAD binds a sealed answer to its scope and key: copied to another
// record, it does not open.
func answerAAD(scope, key string) []byte {
	return []byte("idempotency\x00" + scope + "\x00" + key)
}

// BeginIdempotent reserves an Idempotency-Key for a request (head: its
// method, path and content type; body: its body), before it runs. It
// returns nil, nil when the key is now this request's: run it, then
// FinishIdempotent or, after a 5xx, ReleaseIdempotent. When the key was
// already used by the same request and its answer recorded, it returns
// that answer to replay. Errors: CodeInvalid when the key was used for
// another request, or its recorded answer does not open with this
// server's secret key; CodeConflict while the first request still runs.
func (s *Service) BeginIdempotent(ctx context.Context, scope, key, head string, body []byte) (*roster.IdempotentResponse, error) {
	sum := s.fingerprint(head, body)
	rec := &roster.IdempotentResponse{Scope: scope, Key: key, RequestHash: sum, CreatedAt: time.Now().UTC()}
	err := s.store.Update(ctx, func(tx roster.Tx) error { return tx.PutIdempotent(rec) })
	if roster.ErrorCode(err) != roster.CodeConflict {
		return nil, err
	}
	old, err := s.store.FindIdempotent(ctx, scope, key)
	switch {
	case err != nil:
		return nil, err
	case !sameRequest(old.RequestHash, sum, head, body):
		return nil, roster.Errorf(roster.CodeInvalid, "this Idempotency-Key was already used with a different request: use a new key for a new request")
	case !old.Done:
		return nil, roster.Errorf(roster.CodeConflict, "a request with this Idempotency-Key is still in progress: retry later")
	}
	sealed, ok := bytes.CutPrefix(old.Body, []byte(sealedAnswer))
	if !ok {
		return old, nil // recorded in clear, by an earlier version
	}
	if s.box != nil {
		old.Body, err = s.box.Open(sealed, answerAAD(scope, key))
	}
	if s.box == nil || err != nil {
		return nil, roster.Errorf(roster.CodeInvalid, "this Idempotency-Key was already used, but its recorded answer cannot be replayed: it does not open with this server's secret key. The request was carried out; use a new key for a new request")
	}
	return old, nil
}

// FinishIdempotent records the answer to the request that holds an
// Idempotency-Key, its body sealed.
func (s *Service) FinishIdempotent(ctx context.Context, scope, key string, status int, header map[string]string, body []byte) error {
	if s.box != nil {
		body = append([]byte(sealedAnswer), s.box.Seal(body, answerAAD(scope, key))...)
	}
	rec := &roster.IdempotentResponse{Scope: scope, Key: key, Done: true, Status: status, Header: header, Body: body}
	return s.store.Update(ctx, func(tx roster.Tx) error { return tx.PutIdempotent(rec) })
}

// ReleaseIdempotent frees an Idempotency-Key whose request failed.
func (s *Service) ReleaseIdempotent(ctx context.Context, scope, key string) error {
	return s.store.Update(ctx, func(tx roster.Tx) error { return tx.DeleteIdempotent(scope, key) })
}

// PurgeExpired removes idempotency records older than their 24 hours.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	var n int64
	err := s.store.Update(ctx, func(tx roster.Tx) (err error) {
		n, err = tx.PurgeIdempotent(time.Now().Add(-roster.IdempotencyTTL))
		return err
	})
	return n, err
}
